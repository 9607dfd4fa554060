"""The `rlm` method (this app's RlmSession) and `rlm-no-subcalls` (the same REPL, sub-calls refused)."""

from __future__ import annotations

from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.prompts import DEFAULT_SYSTEM_PROMPT
from rlm_studio.engine.session import RlmSession, resolver_for
from rlm_studio.engine.settings import RunResult, RunSettings
from rlm_studio.models.types import Message, ModelError, ModelResponse, StreamCallback, estimate_message_tokens

from ..task import Task

NO_SUBCALLS_SPEC = "bench:no-subcalls"
NO_SUBCALLS_NOTE = (
    "\n\nIn this run the sub-model functions llm_query, llm_query_batched and rlm_query are disabled: "
    "every call fails. Solve the task with code over `context` alone.")


async def run_rlm(task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                  model_settings: Any = None) -> RunResult:
    session = RlmSession(task.question, task.context, settings, run_id=run_id, sinks=list(sinks),
                         model_settings=model_settings)
    return await session.run()


class _RefuseSubcalls:
    """The 'sub-model' of rlm-no-subcalls: every call fails with a message the root model reads."""

    name = NO_SUBCALLS_SPEC
    context_window: int | None = None
    is_local = True

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        raise ModelError("bad_request", "sub-calls are disabled in this run (method rlm-no-subcalls)",
                         model=self.name)

    def count_tokens(self, messages: list[Message]) -> int:
        return estimate_message_tokens(messages)


async def run_rlm_no_subcalls(task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                              model_settings: Any = None) -> RunResult:
    """The paper's ablation: the REPL without sub-calls (llm_query / rlm_query refuse; depth 0)."""
    base = resolver_for(model_settings)

    def resolve(spec: str) -> Any:
        return _RefuseSubcalls() if spec == NO_SUBCALLS_SPEC else base(spec)

    changed = RunSettings.from_dict({**settings.to_dict(), "sub_model": NO_SUBCALLS_SPEC, "max_depth": 0,
                                     "system_prompt": (settings.system_prompt or DEFAULT_SYSTEM_PROMPT)
                                     + NO_SUBCALLS_NOTE})
    session = RlmSession(task.question, task.context, changed, run_id=run_id, sinks=list(sinks), resolver=resolve)
    return await session.run()
