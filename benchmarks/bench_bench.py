"""Bench harness figures with scripted models through the real sandbox and a real SQLite file.

  harness overhead per task beyond model time: S-NIAH 8k tasks, an oracle root that takes 50 ms
  per call, run one at a time through BenchRunner (generation excluded; sandbox start, events,
  storage, findings and scoring included) (target <= 150 ms)
  generating the 1M-token S-NIAH task, tokenizer load included and warm (target <= 2 s)

Usage: .venv/bin/python benchmarks/bench_bench.py [--tasks N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_studio.bench.executor import LocalExecutor  # noqa: E402
from rlm_studio.bench.runner import BenchPlan, BenchRunner  # noqa: E402

ORACLE = ("```repl\nimport re\nfound = re.findall(r'special magic numbers for [\\w-]+ is: (\\d{7})', context)\n"
          "answer = found[0] if found else 'none'\n```\nFINAL_VAR(answer)")
MODEL_MS = 50


def harness_overhead(n_tasks: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "oracle.json"
        script.write_text(json.dumps({"responses": [ORACLE] * (n_tasks + 1), "delay_ms": MODEL_MS}))
        plan = BenchPlan(suite="sniah", sizes=[8192], tasks=n_tasks, settings={"root_model": f"script:{script}"})
        runner = BenchRunner(Path(folder) / "bench.db", LocalExecutor(1))
        bench_id, tasks = runner.create(plan)
        started = time.perf_counter()
        progress = asyncio.run(runner.run(bench_id, tasks=tasks))
        wall = time.perf_counter() - started
        rows = runner.bench_store.tasks(bench_id)
        runner.close()
    assert progress.done == n_tasks and all(r["score"] == 1.0 for r in rows), "the oracle must score 100%"
    model_ms = sum(r["model_ms"] for r in rows)
    per_task = [(r["duration_ms"] - r["model_ms"]) for r in rows]
    return {"tasks": n_tasks, "wall_s": wall, "model_ms_per_task": model_ms / n_tasks,
            "overhead_ms_per_task": (wall * 1000.0 - model_ms) / n_tasks,
            "overhead_ms_in_run_median": statistics.median(per_task),
            "outside_run_ms_per_task": wall * 1000.0 / n_tasks - statistics.fmean(r["duration_ms"] for r in rows)}


def plain_session_overhead(n_tasks: int) -> float:
    """The same tasks as plain RlmSession runs (no bench, no storage): the engine's own share, ms per run."""
    from rlm_studio.bench.tasks import sniah
    from rlm_studio.engine.session import RlmSession
    from rlm_studio.engine.settings import RunSettings

    tasks = sniah.generate(n_tasks, 8192, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "oracle.json"
        script.write_text(json.dumps({"responses": [ORACLE] * (n_tasks + 1), "delay_ms": MODEL_MS}))
        settings = RunSettings(root_model=f"script:{script}")

        async def run_all() -> float:
            total = 0.0
            for task in tasks:
                started = time.perf_counter()
                result = await RlmSession(task.question, task.context, settings).run()
                total += (time.perf_counter() - started) * 1000.0 - MODEL_MS
                assert result.answer == task.answer
            return total / n_tasks

        return asyncio.run(run_all())


def generate_1m() -> dict[str, float]:
    code = ("import time; t = time.perf_counter()\n"
            "from rlm_studio.bench.tasks import sniah\n"
            "task = sniah.generate(1, 2 ** 20, seed=0)[0]\n"
            "cold = time.perf_counter() - t; t = time.perf_counter()\n"
            "again = sniah.generate(1, 2 ** 20, seed=1)[0]\n"
            "print(cold, time.perf_counter() - t, task.size_tokens)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    cold, warm, tokens = out.stdout.split()
    return {"cold_s": float(cold), "warm_s": float(warm), "tokens": int(tokens)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = {"harness": harness_overhead(args.tasks), "plain_session_overhead_ms": plain_session_overhead(args.tasks),
               "generate_1m": generate_1m()}
    if args.json:
        print(json.dumps(figures))
        return
    h, g = figures["harness"], figures["generate_1m"]
    print(f"harness overhead per task beyond model time: {h['overhead_ms_per_task']:.0f} ms "
          f"({h['tasks']} tasks, {h['model_ms_per_task']:.0f} ms model time each; inside the run alone "
          f"{h['overhead_ms_in_run_median']:.0f} ms median, most of it starting the sandboxed worker; the bench's "
          f"own storing and scoring outside the run {h['outside_run_ms_per_task']:.0f} ms)  (target <= 150 ms)")
    print(f"the same runs as plain RlmSession runs, without the bench: {figures['plain_session_overhead_ms']:.0f} ms "
          "beyond model time each")
    print(f"generate the 1M-token S-NIAH task ({g['tokens']:,} tokens): {g['cold_s']:.2f} s with the tokenizer "
          f"load, {g['warm_s']:.2f} s warm  (target <= 2 s)")


if __name__ == "__main__":
    main()
