"""Sandbox figures: sub-call round trip, worker start with a 100 MB context, 64 batched 50 ms calls.

Runs RLM Studio's bwrap worker and the reference `rlms` package's local REPL (PyPI rlms==0.1.3)
the same way in the same run and prints the ratios. `--json` prints one JSON object instead.

    .venv/bin/python benchmarks/bench_sandbox.py [--json] [--calls 2000] [--isolation bwrap]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rlm_studio.sandbox import Worker, write_context  # noqa: E402

CONTEXT_CHARS = 100_000_000
BATCH_SIZE = 64
BATCH_CONCURRENCY = 16
BATCH_CALL_S = 0.05
TARGETS = {"round_trip_median_us": 100.0, "ready_100mb_s": 0.5, "batched_64_s": 0.22}

# Timed inside the REPL, identically for both implementations.
ROUND_TRIP_CELL = """
import time as _t
for _i in range(200):
    llm_query('warm up')
_times = []
for _i in range(CALLS):
    _s = _t.perf_counter()
    llm_query('ping')
    _times.append(_t.perf_counter() - _s)
_times.sort()
print(_times[len(_times) // 2] * 1e6, _times[int(len(_times) * 0.99)] * 1e6)
"""
BATCH_CELL = """
import time as _t
_s = _t.perf_counter()
_answers = llm_query_batched(['q' + str(_i) for _i in range(BATCH)])
print(_t.perf_counter() - _s, len(_answers))
"""


def bare_ping_pong_us(rounds: int = 5000) -> float:
    """Median round trip of 30 bytes over a socketpair between two plain Python processes: the floor here."""
    import os
    import socket

    ours, theirs = socket.socketpair()
    child = os.fork()
    if child == 0:
        ours.close()
        while True:
            data = theirs.recv(100)
            if not data:
                os._exit(0)
            theirs.sendall(data)
    theirs.close()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        ours.sendall(b"x" * 30)
        ours.recv(100)
        times.append(time.perf_counter() - started)
    ours.close()
    os.waitpid(child, 0)
    return statistics.median(times) * 1e6


def _numbers(stdout: str) -> list[float]:
    return [float(x) for x in stdout.split()]


# -- RLM Studio ---------------------------------------------------------------------------------
async def measure_studio(calls: int, isolation: str, big_context: Path, small_context: Path) -> dict:
    semaphore = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def slow_one(prompt: str) -> str:
        async with semaphore:
            await asyncio.sleep(BATCH_CALL_S)
            return prompt

    async def handler(kind: str, payload: dict):
        if kind == "llm_query_batched":
            return await asyncio.gather(*(slow_one(p) for p in payload["prompts"]))
        return "pong"

    figures: dict = {}
    worker = await Worker.start(context_path=small_context, handler=handler, isolation=isolation)
    try:
        figures["isolation"] = worker.isolation
        result = await worker.execute(ROUND_TRIP_CELL.replace("CALLS", str(calls)), timeout_s=600)
        if result.error:
            raise RuntimeError(result.error["traceback"])
        figures["round_trip_median_us"], figures["round_trip_p99_us"] = _numbers(result.stdout)
        result = await worker.execute(BATCH_CELL.replace("BATCH", str(BATCH_SIZE)))
        if result.error:
            raise RuntimeError(result.error["traceback"])
        figures["batched_64_s"] = _numbers(result.stdout)[0]
    finally:
        await worker.close()

    ready_times = []
    for _ in range(3):
        started = time.perf_counter()
        worker = await Worker.start(context_path=big_context, handler=handler, isolation=isolation)
        ready_times.append(time.perf_counter() - started)
        check = await worker.execute("len(context)")
        await worker.close()
        if check.stdout.strip() != str(CONTEXT_CHARS):
            raise RuntimeError(f"the 100 MB context did not arrive whole: {check.stdout!r}")
    figures["ready_100mb_s"] = statistics.median(ready_times)
    return figures


# -- rlms (reference implementation) ------------------------------------------------------------
def measure_rlms(calls: int, big_text: str) -> dict:
    from rlm.clients.base_lm import BaseLM
    from rlm.core.lm_handler import LMHandler
    from rlm.core.types import ModelUsageSummary, UsageSummary
    from rlm.environments.local_repl import LocalREPL

    class InstantModel(BaseLM):
        """Mock sub-model: instant completions; async ones take BATCH_CALL_S like our handler."""

        def completion(self, prompt):
            return "pong"

        async def acompletion(self, prompt):
            await asyncio.sleep(BATCH_CALL_S)
            return prompt

        def get_usage_summary(self):
            return UsageSummary(model_usage_summaries={})

        def get_last_usage(self):
            return ModelUsageSummary(total_calls=0, total_input_tokens=0, total_output_tokens=0)

    figures: dict = {"isolation": "none (in-process exec)"}
    with LMHandler(InstantModel(model_name="mock"), batch_max_concurrent=BATCH_CONCURRENCY) as handler:
        repl = LocalREPL(lm_handler_address=handler.address, context_payload="small context")
        try:
            result = repl.execute_code(ROUND_TRIP_CELL.replace("CALLS", str(calls)))
            if not result.stdout.strip():
                raise RuntimeError(result.stderr)
            figures["round_trip_median_us"], figures["round_trip_p99_us"] = _numbers(result.stdout)
            result = repl.execute_code(BATCH_CELL.replace("BATCH", str(BATCH_SIZE)))
            if not result.stdout.strip():
                raise RuntimeError(result.stderr)
            figures["batched_64_s"] = _numbers(result.stdout)[0]
        finally:
            repl.cleanup()

        ready_times = []
        for _ in range(3):
            started = time.perf_counter()
            repl = LocalREPL(lm_handler_address=handler.address, context_payload=big_text)
            ready_times.append(time.perf_counter() - started)
            size = len(repl.locals["context"])
            repl.cleanup()
            if size != CONTEXT_CHARS:
                raise RuntimeError(f"rlms context arrived with {size} chars")
        figures["ready_100mb_s"] = statistics.median(ready_times)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--calls", type=int, default=2000, help="llm_query round trips to time")
    parser.add_argument("--isolation", default="bwrap", choices=("auto", "bwrap", "process"))
    parser.add_argument("--skip-rlms", action="store_true", help="measure RLM Studio only")
    args = parser.parse_args()

    big_text = "0123456789" * (CONTEXT_CHARS // 10)
    with tempfile.TemporaryDirectory(prefix="rlm-bench-") as folder:
        big_context, small_context = Path(folder) / "big.rlmctx", Path(folder) / "small.rlmctx"
        started = time.perf_counter()
        write_context(big_text, big_context)
        write_s = time.perf_counter() - started
        write_context("small context", small_context)
        studio = asyncio.run(measure_studio(args.calls, args.isolation, big_context, small_context))
    studio["write_context_100mb_s"] = write_s

    report: dict = {"calls": args.calls, "targets": TARGETS, "bare_socketpair_ping_pong_us": bare_ping_pong_us(),
                    "rlm_studio": studio,
                    "meets_targets": {key: studio[key] <= limit for key, limit in TARGETS.items()}}
    if args.skip_rlms:
        report["rlms"] = None
        report["rlms_unavailable"] = "skipped (--skip-rlms)"
    else:
        try:
            report["rlms"] = measure_rlms(args.calls, big_text)
        except ImportError as exc:
            report["rlms"] = None
            report["rlms_unavailable"] = f"the rlms package is not installed ({exc}); pip install rlms==0.1.3"
        except Exception as exc:  # report why instead of hiding the comparison
            report["rlms"] = None
            report["rlms_unavailable"] = f"rlms could not be measured: {type(exc).__name__}: {exc}"
    if report.get("rlms"):
        report["ratio_rlm_studio_over_rlms"] = {
            key: studio[key] / report["rlms"][key] for key in ("round_trip_median_us", "round_trip_p99_us",
                                                                "ready_100mb_s", "batched_64_s")}

    if args.json:
        print(json.dumps(report))
        return 0
    rows = (("llm_query round trip, median", "round_trip_median_us", "us"),
            ("llm_query round trip, p99", "round_trip_p99_us", "us"),
            ("worker ready, 100 MB context", "ready_100mb_s", "s"),
            (f"{BATCH_SIZE} batched {BATCH_CALL_S * 1000:.0f} ms calls, concurrency {BATCH_CONCURRENCY}",
             "batched_64_s", "s"))
    rlms = report.get("rlms")
    print(f"RLM Studio sandbox ({studio['isolation']}) vs rlms 0.1.3 local REPL ({args.calls} calls)")
    print(f"{'figure':<46}{'RLM Studio':>14}{'target':>10}{'rlms':>14}{'ratio':>8}")
    for label, key, unit in rows:
        target = f"<={TARGETS[key]:g}" if key in TARGETS else ""
        ours = f"{studio[key]:.4g} {unit}"
        theirs = f"{rlms[key]:.4g} {unit}" if rlms else "n/a"
        ratio = f"{studio[key] / rlms[key]:.2f}x" if rlms else ""
        print(f"{label:<46}{ours:>14}{target:>10}{theirs:>14}{ratio:>8}")
    print(f"(writing the 100 MB context file, done once per run: {studio['write_context_100mb_s']:.3f} s; "
          f"bare socketpair ping-pong between two Python processes right now: "
          f"{report['bare_socketpair_ping_pong_us']:.1f} us, the floor on this machine)")
    if not rlms:
        print(f"rlms not measured: {report['rlms_unavailable']}")
    else:
        print("rlms runs model code in the app's own process (no sandbox) and opens a TCP connection per call.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
