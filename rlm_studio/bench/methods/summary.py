"""The `summary` method (the paper's summarisation agent): read the context chunk by chunk, keep a running
summary of what matters for the question, then answer from the summary."""

from __future__ import annotations

from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.settings import RunResult, RunSettings
from rlm_studio.models.types import Message

from ..task import Task
from .direct import DirectRun, run_direct

SYSTEM = "You read a long text in parts and keep notes for a question about it."
SUMMARY_SHARE = 0.25    # of the window kept for the running summary


def chunk_text(text: str, chunk_chars: int) -> list[str]:
    """Pieces of about `chunk_chars`, cut at line ends where one is near."""
    chunks, start = [], 0
    while start < len(text):
        end = min(len(text), start + chunk_chars)
        if end < len(text):
            newline = text.rfind("\n", start + chunk_chars // 2, end)
            end = newline + 1 if newline > 0 else end
        chunks.append(text[start:end])
        start = end
    return chunks


def update_prompt(question: str, summary: str, chunk: str, index: int, total: int) -> list[Message]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": (
                f"Question: {question}\n\nYour notes so far:\n{summary or '(none yet)'}\n\n"
                f"Part {index} of {total} of the text:\n{chunk}\n\n"
                "Rewrite your notes: keep everything from the notes and this part that may help answer the "
                "question (exact names, numbers, dates), drop the rest. Reply with the notes only.")}]


def answer_prompt(question: str, summary: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Your notes on the text:\n{summary}\n\nQuestion: {question}\n"
                                        "Answer with the answer only."}]


async def run_summary(task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                      model_settings: Any = None) -> RunResult:
    run = DirectRun("summary", task, settings, run_id=run_id, sinks=sinks, model_settings=model_settings)
    text = task.context_text()
    budget = run.window_budget()
    probe = text[:20_000]
    chars_per_token = len(probe) / max(1, await run.tokens([{"role": "user", "content": probe}])) if probe else 4.0
    chunk_chars = max(500, int(budget * (1 - SUMMARY_SHARE) * 0.85 * chars_per_token))
    chunks = chunk_text(text, chunk_chars)
    run.start(SYSTEM, {"chunks": len(chunks), "chunk_chars": chunk_chars})

    async def body(r: DirectRun) -> str:
        summary = ""
        limit = max(200, int(budget * SUMMARY_SHARE * chars_per_token))
        for i, chunk in enumerate(chunks, start=1):
            summary = (await r.call(update_prompt(task.question, summary, chunk, i, len(chunks)))).strip()[:limit]
        return (await r.call(answer_prompt(task.question, summary))).strip()

    return await run_direct(run, body)
