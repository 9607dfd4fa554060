"""A run without a REPL (base, summary, bm25): model calls emitted as a normal run's events.

Each model call is one iteration with one root model call, so the tree view, costs and the
stored run look like any other run's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from rlm_studio import __version__
from rlm_studio.engine import events as ev
from rlm_studio.engine.emitter import EventEmitter, Sink
from rlm_studio.engine.prompts import context_metadata
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.engine.session import context_parts, resolver_for
from rlm_studio.engine.settings import RunResult, RunSettings
from rlm_studio.models.types import Message, ModelClient, ModelError

from ..task import Task


class DirectRun:
    """Emit one run: `start()`, then `await call(...)` per model call, then `finish(...)`."""

    def __init__(self, method: str, task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                 model_settings: Any = None):
        self.method = method
        self.task = task
        self.settings = settings
        #: the run's tree, fed first by every event: the result's totals come from it (as an RlmSession's do)
        self.tree = RunTree()
        self.emitter = EventEmitter(run_id, [self.tree.apply, *sinks])
        self.run_id = run_id
        self.node_id = self.emitter.new_node_id()
        self.model: ModelClient = resolver_for(model_settings)(settings.root_model)
        self.iterations = 0
        self.started = time.monotonic()

    def start(self, system_prompt: str, details: dict[str, Any]) -> None:
        meta = context_metadata(self.task.context)
        parts = context_parts(self.task.context)
        settings = self.settings.to_dict()
        settings["extra"] = {**settings.get("extra", {}), "method": self.method, **details}
        self.emitter.emit(ev.RunStarted(
            node_id=self.node_id, question=self.task.question, depth=0, root_model=self.settings.root_model,
            sub_model=self.settings.root_model, settings=settings, system_prompt=system_prompt,
            context_kind=meta["type"], context_meta=meta,
            documents=[{k: p[k] for k in ("index", "name", "chars", "sha256")} for p in parts],
            isolation="none", app_version=__version__))
        for part in parts:
            self.emitter.emit(ev.ContextAttached(node_id=self.node_id, **part))

    def notice(self, code: str, message: str, level: Literal["info", "warning", "error"] = "info") -> None:
        self.emitter.emit(ev.Notice(node_id=self.node_id, level=level, code=code, message=message))

    async def call(self, messages: list[Message]) -> str:
        """One iteration with one model call; ModelError propagates after the failed call is emitted."""
        self.iterations += 1
        index = self.iterations
        it_node = self.emitter.new_node_id()
        started = time.monotonic()
        self.emitter.emit(ev.IterationStarted(node_id=it_node, parent_id=self.node_id, index=index))
        call_node = self.emitter.new_node_id()
        try:
            prompt_tokens = await asyncio.to_thread(self.model.count_tokens, messages)
            self.emitter.emit(ev.ModelCallStarted(
                node_id=call_node, parent_id=it_node, model=self.model.name, messages=messages,
                prompt_tokens=prompt_tokens, context_window=getattr(self.model, "context_window", None),
                iteration=index))
            try:
                response = await self.model.complete(messages, timeout=self.settings.model_call_timeout_s)
            except ModelError as exc:
                self.emitter.emit(ev.ModelCallFinished(node_id=call_node, parent_id=it_node, model=self.model.name,
                                                       error=exc.to_dict(), latency_ms=exc.latency_ms))
                raise
            except asyncio.CancelledError:
                self.emitter.emit(ev.ModelCallFinished(node_id=call_node, parent_id=it_node, model=self.model.name,
                                                       error={"kind": "cancelled", "message": "the run was stopped"}))
                raise
            usage = response.usage.to_dict()
            self.emitter.emit(ev.ModelCallFinished(
                node_id=call_node, parent_id=it_node, model=response.model or self.model.name,
                response=response.content, usage=usage, cost_usd=response.cost_usd, latency_ms=response.latency_ms,
                retries=response.retries, finish_reason=response.finish_reason))
            return response.content
        finally:
            self.emitter.emit(ev.IterationFinished(node_id=it_node, parent_id=self.node_id, index=index,
                                                   duration_ms=(time.monotonic() - started) * 1000.0))

    def finish(self, status: Literal["completed", "failed", "cancelled"], answer: str | None, error: dict[str, Any] | None = None) -> RunResult:
        if answer is not None and status == "completed":
            self.emitter.emit(ev.FinalAnswer(node_id=self.emitter.new_node_id(), parent_id=self.node_id,
                                             answer=answer, via="FINAL", source="text"))
        totals = self.tree.totals(self.node_id).result_dict((time.monotonic() - self.started) * 1000.0)
        self.emitter.emit(ev.RunFinished(node_id=self.node_id, status=status, answer=answer, error=error,
                                         totals=dict(totals)))
        return RunResult(run_id=self.run_id, status=status, answer=answer, error=error, totals=totals,
                         isolation="none")

    def window_budget(self, reserve_tokens: int = 0) -> int:
        """Prompt tokens the model takes (its window less the output it keeps for the answer)."""
        window = getattr(self.model, "context_window", None) or 128_000
        keep = getattr(self.model, "max_output_tokens", None) if getattr(self.model, "output_shares_window",
                                                                          False) else 0
        return max(256, int(window) - int(keep or 0) - reserve_tokens)

    async def tokens(self, messages: list[Message]) -> int:
        return await asyncio.to_thread(self.model.count_tokens, messages)


async def run_direct(run: DirectRun, body: Any) -> RunResult:
    """Run `body(run) -> answer` as the run, finishing it as completed, failed or cancelled."""
    try:
        answer = await body(run)
    except ModelError as exc:
        return run.finish("failed", None, {"kind": exc.kind, "message": f"model: {exc.message}"})
    except asyncio.CancelledError:
        run.finish("cancelled", None)
        raise
    return run.finish("completed", answer)
