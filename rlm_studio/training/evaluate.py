"""Evaluate a model as an RLM (and directly) on generated tasks, through the real engine, sandbox and server.

Task sets: `sniah` / `sniah-multikey` / `sniah-multivalue` from the bench's generator (RULER's construction),
and this package's own generator: `mixed` (training-style variation, fresh seed), `heldout` (held-out
phrasings, key and value formats, haystacks) and `count` (aggregation over records).
Results go to a JSONL file (one line per task) and a summary JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings

from .tasks import generate, score_answer


@dataclass
class EvalTask:
    id: str
    family: str
    question: str
    context: Any
    answers: list[str]
    scorer: str          # "all" (every value in the answer, RULER's share) | "count"
    size: str


def _share(answer: str | None, answers: list[str]) -> float:
    """RULER's string_match_all: the share of expected values found in the answer."""
    if not answer:
        return 0.0
    low = answer.lower()
    return sum(1.0 for a in answers if a.lower() in low) / len(answers)


def score(task: EvalTask, answer: str | None) -> float:
    return score_answer("count", task.answers, answer) if task.scorer == "count" else _share(answer, task.answers)


def _tokens_to_chars(size: str) -> int:
    n = int(size[:-1]) * (1024 if size.endswith("k") else 1024 * 1024)
    return n * 4


def sniah_tasks(variant: str, size: str, n: int, seed: int) -> list[EvalTask]:
    from rlm_studio.bench.tasks import sniah

    tokens = int(size[:-1]) * (1024 if size.endswith("k") else 1024 * 1024)
    return [EvalTask(t.id, t.family, t.question, t.context, t.answers, "all", size)
            for t in sniah.generate(n, tokens, seed=seed, variant=variant)]


def own_tasks(kind: str, size: str, n: int, seed: int) -> list[EvalTask]:
    chars = _tokens_to_chars(size)
    if kind == "count":
        made = generate(seed, n, families=("count",), weights={"count": 1.0}, heldout=False)
    else:
        made = generate(seed, n, heldout=kind == "heldout", min_chars=chars // 2, max_chars=chars,
                        families=("single", "multikey", "multivalue", "multiquery"),
                        weights={"single": 0.5, "multikey": 0.25, "multivalue": 0.15, "multiquery": 0.1})
    return [EvalTask(f"{kind}-{size}-{i:04d}", f"{kind}:{t.family}", t.question, t.context, t.answers,
                     "count" if t.family == "count" else "all", size) for i, t in enumerate(made)]


async def run_rlm(task: EvalTask, root: str, sub: str, max_iterations: int) -> dict[str, Any]:
    settings = RunSettings(root_model=root, sub_model=sub, max_iterations=max_iterations, max_wall_s=300.0)
    started = time.monotonic()
    result = await RlmSession(task.question, task.context, settings).run()
    return {"answer": result.answer, "status": result.status, "iterations": result.totals.get("iterations", 0),
            "subcalls": result.totals.get("subcalls", 0), "wall_s": time.monotonic() - started}


async def run_direct(task: EvalTask, model_spec: str) -> dict[str, Any]:
    """The model alone: as much of the context as fits its window, then the question."""
    from rlm_studio.models.registry import resolve_model

    model = resolve_model(model_spec)
    window = (model.context_window or 8192) - 1200
    text = task.context if isinstance(task.context, str) else "\n\n".join(
        task.context.values() if isinstance(task.context, dict) else task.context)
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if model.count_tokens([{"role": "user", "content": text[:mid]}]) <= window:
            lo = mid
        else:
            hi = mid - 1
    started = time.monotonic()
    try:
        response = await model.complete([{"role": "user", "content": f"{text[:lo]}\n\nQuestion: {task.question}"}])
        answer: str | None = response.content
    except Exception as exc:  # a refused or failed call scores 0, and says why
        answer = None
        return {"answer": answer, "status": f"failed: {exc}", "iterations": 0, "subcalls": 0,
                "wall_s": time.monotonic() - started}
    return {"answer": answer, "status": "completed", "iterations": 0, "subcalls": 0,
            "wall_s": time.monotonic() - started}


def build_tasks(sets: list[str], sizes: list[str], n: int, seed: int) -> list[EvalTask]:
    tasks: list[EvalTask] = []
    for name in sets:
        for size in sizes if name != "count" else sizes[:1]:
            if name.startswith("sniah"):
                variant = name.split("-", 1)[1] if "-" in name else "single"
                tasks.extend(sniah_tasks(variant, size, n, seed))
            else:
                tasks.extend(own_tasks(name, size, n, seed))
    return tasks


async def evaluate(tasks: list[EvalTask], method: str, root: str, sub: str, out: Path,
                   max_iterations: int = 10) -> list[dict[str, Any]]:
    rows = []
    with out.open("a", encoding="utf-8") as fh:
        for task in tasks:
            got = (await run_direct(task, root)) if method == "direct" else \
                (await run_rlm(task, root, sub, max_iterations))
            row = {"id": task.id, "family": task.family, "size": task.size, "method": method, "root": root,
                   "sub": sub, "answers": task.answers, "score": score(task, got["answer"]), **got}
            rows.append(row)
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"{task.id} {method} {root}: score {row['score']:.2f} in {got['wall_s']:.1f} s "
                  f"({got['iterations']} it) -> {str(got['answer'])[:80]!r}", flush=True)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(f"{row['method']}|{row['root']}|{row['family'].split(':')[0]}|{row['size']}", []).append(row)
    return {k: {"n": len(v), "score": statistics.mean(r["score"] for r in v),
                "median_wall_s": statistics.median(r["wall_s"] for r in v)} for k, v in sorted(groups.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rlm_studio.training.evaluate")
    parser.add_argument("--sets", default="sniah", help="comma list: sniah, sniah-multikey, sniah-multivalue, "
                        "mixed, heldout, count")
    parser.add_argument("--sizes", default="8k")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--method", choices=("rlm", "direct"), default="rlm")
    parser.add_argument("--root-model", default="bundled")
    parser.add_argument("--sub-model", default=None)
    parser.add_argument("--max-iterations", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    tasks = build_tasks(args.sets.split(","), args.sizes.split(","), args.tasks, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = asyncio.run(evaluate(tasks, args.method, args.root_model, args.sub_model or args.root_model, out,
                                args.max_iterations))
    summary = summarise(rows)
    for key, value in summary.items():
        print(f"{key}: {value['score']:.2f} over {value['n']} tasks, median {value['median_wall_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
