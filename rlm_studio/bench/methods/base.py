"""The `base` method: the whole context in the prompt, cut in the middle to the model's window (the cut is recorded)."""

from __future__ import annotations

from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.settings import RunResult, RunSettings
from rlm_studio.models.types import Message

from ..task import Task
from .direct import DirectRun, run_direct
from .fitting import fit_text

SYSTEM = "You answer questions about a long text. Answer with the answer only."


def messages_for(context_text: str, question: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{context_text}\n\nQuestion: {question}\nAnswer:"}]


async def run_base(task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                   model_settings: Any = None) -> RunResult:
    run = DirectRun("base", task, settings, run_id=run_id, sinks=sinks, model_settings=model_settings)
    text = task.context_text()

    async def count(candidate: str) -> int:
        return await run.tokens(messages_for(candidate, task.question))

    fitted, tokens = await fit_text(text, run.window_budget(), count)
    cut = {"context_chars": len(text), "kept_chars": len(fitted) if fitted != text else len(text),
           "cut_chars": max(0, len(text) - len(fitted)) if fitted != text else 0, "prompt_tokens": tokens,
           "strategy": "middle"}
    run.start(SYSTEM, {"context_cut": cut})
    if cut["cut_chars"]:
        run.notice("context_cut", f"The context was cut to fit the model's window: {cut['cut_chars']:,} of "
                                  f"{cut['context_chars']:,} characters were left out (the middle).", "warning")

    async def body(r: DirectRun) -> str:
        return (await r.call(messages_for(fitted, task.question))).strip()

    return await run_direct(run, body)
