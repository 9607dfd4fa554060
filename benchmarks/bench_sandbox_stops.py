"""Sandbox stop figures: how long past its limit a cell runs, how fast an interrupt lands, how long a
cell that swallows every stop takes to be killed and replaced. (The tests check only that each stop
works; these are the speeds they used to assert.) `--json` prints one JSON object instead.

    .venv/bin/python benchmarks/bench_sandbox_stops.py [--json] [--rounds 5] [--isolation bwrap]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rlm_studio.sandbox import Worker, write_context  # noqa: E402
from rlm_studio.sandbox.worker import HARD_KILL_GRACE_S  # noqa: E402

LIMIT_S = 0.5
BUSY = "n = 0\nwhile True:\n    n += 1"
SLEEP = "import time\ntime.sleep(1000)"
STUBBORN = "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass"
TARGETS = {"time_limit_overshoot_ms": 100.0, "interrupt_ms": 100.0, "stubborn_cell_replaced_s": LIMIT_S + HARD_KILL_GRACE_S + 1.0}


def _started_handler(started: asyncio.Event) -> Any:
    """A sub-call handler that tells the benchmark the cell is running."""
    async def handler(kind: str, payload: dict[str, Any]) -> str:
        started.set()
        return "ok"
    return handler


async def measure(rounds: int, isolation: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "context"
        write_context("bench", path)
        started = asyncio.Event()
        worker = await Worker.start(context_path=path, handler=_started_handler(started), isolation=isolation)
        try:
            overshoot_busy, overshoot_sleep, interrupts, stubborn = [], [], [], []
            for _ in range(rounds):
                for code, figures in ((BUSY, overshoot_busy), (SLEEP, overshoot_sleep)):
                    result = await worker.execute(code, timeout_s=LIMIT_S)
                    assert result.timed_out and result.crashed is None
                    figures.append(result.duration_ms - LIMIT_S * 1000)
                started.clear()
                task = asyncio.ensure_future(worker.execute("llm_query('go')\n" + SLEEP, timeout_s=60))
                await started.wait()
                begun = time.perf_counter()
                await worker.interrupt()
                result = await task
                assert result.interrupted and result.crashed is None
                interrupts.append((time.perf_counter() - begun) * 1000)
            begun = time.perf_counter()
            result = await worker.execute(STUBBORN, timeout_s=LIMIT_S)
            assert result.crashed
            await worker.execute("1")
            stubborn.append(time.perf_counter() - begun)
        finally:
            await worker.close()
    return {"isolation": worker.isolation, "rounds": rounds, "limit_s": LIMIT_S,
            "time_limit_overshoot_ms": {"busy_loop_median": statistics.median(overshoot_busy),
                                        "sleep_median": statistics.median(overshoot_sleep),
                                        "max": max(overshoot_busy + overshoot_sleep)},
            "interrupt_ms": {"median": statistics.median(interrupts), "max": max(interrupts)},
            "stubborn_cell_replaced_s": stubborn[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--isolation", default="bwrap", choices=("auto", "bwrap", "process"))
    args = parser.parse_args()
    report = asyncio.run(measure(args.rounds, args.isolation))
    report["targets"] = TARGETS
    report["meets_targets"] = {
        "time_limit_overshoot_ms": report["time_limit_overshoot_ms"]["max"] <= TARGETS["time_limit_overshoot_ms"],
        "interrupt_ms": report["interrupt_ms"]["max"] <= TARGETS["interrupt_ms"],
        "stubborn_cell_replaced_s": report["stubborn_cell_replaced_s"] <= TARGETS["stubborn_cell_replaced_s"]}
    if args.json:
        print(json.dumps(report))
        return 0
    over = report["time_limit_overshoot_ms"]
    print(f"isolation: {report['isolation']}, {args.rounds} rounds, cell limit {LIMIT_S} s")
    print(f"time limit overshoot: busy loop {over['busy_loop_median']:.1f} ms, sleep {over['sleep_median']:.1f} ms "
          f"(median), {over['max']:.1f} ms max")
    print(f"interrupt to result: {report['interrupt_ms']['median']:.1f} ms median, {report['interrupt_ms']['max']:.1f} ms max")
    print(f"a cell that swallows every stop, killed and replaced: {report['stubborn_cell_replaced_s']:.2f} s "
          f"(limit {LIMIT_S} s + grace {HARD_KILL_GRACE_S} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
