"""The `bm25` method: the passages of the context that BM25 ranks highest for the question, in the prompt."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.settings import RunResult, RunSettings

from ..task import Task
from .base import SYSTEM, messages_for
from .direct import DirectRun, run_direct
from .summary import chunk_text

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
PASSAGE_CHARS = 800


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25:
    """Okapi BM25 (k1 = 1.5, b = 0.75) over a list of passages."""

    def __init__(self, passages: list[str], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs = [Counter(words(p)) for p in passages]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df: Counter[str] = Counter()
        for doc in self.docs:
            df.update(doc.keys())
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def scores(self, query: str) -> list[float]:
        terms = [t for t in set(words(query)) if t in self.idf]
        out = []
        for doc, length in zip(self.docs, self.lengths):
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg or 1.0))
            out.append(sum(self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if t in doc))
        return out

    def top(self, query: str, k: int) -> list[int]:
        scores = self.scores(query)
        return sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]


async def run_bm25(task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                   model_settings: Any = None) -> RunResult:
    run = DirectRun("bm25", task, settings, run_id=run_id, sinks=sinks, model_settings=model_settings)
    passages = chunk_text(task.context_text(), PASSAGE_CHARS)
    ranked = BM25(passages).top(task.question, len(passages))
    budget = run.window_budget()
    chosen: list[int] = []
    for index in ranked:   # add passages best first while the prompt still fits
        trial = sorted(chosen + [index])
        if await run.tokens(messages_for("\n".join(passages[i] for i in trial), task.question)) > budget:
            break
        chosen = trial
        if len(chosen) >= 64:
            break
    text = "\n".join(passages[i] for i in chosen)
    run.start(SYSTEM, {"retrieval": {"passages": len(passages), "kept": len(chosen), "passage_chars": PASSAGE_CHARS}})

    async def body(r: DirectRun) -> str:
        return (await r.call(messages_for(text, task.question))).strip()

    return await run_direct(run, body)
