"""The Ray executor's cost over the local one, through the real sandbox and a real SQLite file.

  40 S-NIAH 8k tasks, an oracle root that takes 50 ms per call, concurrency 2: wall time of the
  bench with `--executor ray` (a local Ray instance, num_cpus=2, started and its two workers
  warmed before timing, as on a running cluster) / wall time with the local executor
  (target <= 1.15). Also printed: the same Ray bench on cold workers (each worker's first task
  imports RLM Studio) and the time to start the Ray instance.

Usage: .venv/bin/python benchmarks/bench_ray.py [--tasks N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_studio.bench.executor import Executor, LocalExecutor  # noqa: E402
from rlm_studio.bench.ray_executor import RayExecutor  # noqa: E402
from rlm_studio.bench.runner import BenchPlan, BenchRunner  # noqa: E402

ORACLE = ("```repl\nimport re\nfound = re.findall(r'special magic numbers for [\\w-]+ is: (\\d{7})', context)\n"
          "answer = found[0] if found else 'none'\n```\nFINAL_VAR(answer)")
MODEL_MS = 50
CONCURRENCY = 2


def timed_bench(folder: Path, name: str, executor: Executor, n_tasks: int) -> float:
    script = folder / "oracle.json"
    script.write_text(json.dumps({"rules": [{"match": "", "content": ORACLE}], "delay_ms": MODEL_MS}))
    plan = BenchPlan(suite="sniah", sizes=[8192], tasks=n_tasks, settings={"root_model": f"script:{script}"},
                     concurrency=CONCURRENCY)
    runner = BenchRunner(folder / f"{name}.db", executor)
    bench_id, tasks = runner.create(plan)
    started = time.perf_counter()
    progress = asyncio.run(runner.run(bench_id, tasks=tasks))
    wall = time.perf_counter() - started
    rows = runner.bench_store.tasks(bench_id)
    runner.close()
    assert progress.done == n_tasks and all(r["score"] == 1.0 for r in rows), f"{name}: the oracle must score 100%"
    return wall


def measure(n_tasks: int) -> dict[str, Any]:
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        local = timed_bench(folder, "local", LocalExecutor(CONCURRENCY), n_tasks)
        started = time.perf_counter()
        ray.init(num_cpus=CONCURRENCY, include_dashboard=False, log_to_driver=False)
        ray_start = time.perf_counter() - started
        try:
            cold = timed_bench(folder, "ray-cold", RayExecutor(CONCURRENCY), n_tasks)
            warm = timed_bench(folder, "ray-warm", RayExecutor(CONCURRENCY), n_tasks)
        finally:
            ray.shutdown()
    return {"tasks": n_tasks, "concurrency": CONCURRENCY, "model_ms_per_call": MODEL_MS,
            "local_s": local, "ray_s": warm, "ray_cold_s": cold, "ray_start_s": ray_start,
            "ray_over_local": warm / local, "ray_cold_over_local": cold / local, "target": 1.15}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.tasks)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{args.tasks} tasks, {MODEL_MS} ms per model call, concurrency {CONCURRENCY}")
        print(f"  local executor:           {figures['local_s']:.2f} s")
        print(f"  ray executor (warm):      {figures['ray_s']:.2f} s   ray / local = "
              f"{figures['ray_over_local']:.3f}  (target <= {figures['target']})")
        print(f"  ray executor (cold):      {figures['ray_cold_s']:.2f} s   ray / local = "
              f"{figures['ray_cold_over_local']:.3f}")
        print(f"  starting the Ray instance: {figures['ray_start_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
