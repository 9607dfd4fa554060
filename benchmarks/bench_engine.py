"""Engine figures through the real sandbox with instant scripted models.

  llm_query round trip seen from model code (engine + events + sandbox protocol), median and p99
  64 llm_query_batched calls to a model that takes 50 ms each, at concurrency 16 (floor: 0.2 s)
  a whole run over a 100 MB context: time to the first cell's output

Usage: .venv/bin/python benchmarks/bench_engine.py [--calls N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_studio.engine.session import RlmSession  # noqa: E402
from rlm_studio.engine.settings import RunSettings  # noqa: E402


def _script(directory: Path, name: str, **content) -> str:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(content))
    return f"script:{path}"


def _repl(code: str) -> str:
    return f"```repl\n{code}\n```"


async def _run(question, context, settings):
    events = []
    session = RlmSession(question, context, settings, sinks=[events.append])
    result = await session.run()
    return result, events


def roundtrip(directory: Path, calls: int) -> dict:
    code = (f"import time\nlat = []\nfor i in range({calls}):\n    t = time.perf_counter()\n    llm_query('ping')\n"
            "    lat.append((time.perf_counter() - t) * 1e6)\nlat.sort()\n"
            "print(lat[len(lat) // 2], lat[int(len(lat) * 0.99)])\nFINAL('ok')")
    root = _script(directory, "rt_root", responses=[_repl(code)])
    sub = _script(directory, "rt_sub", rules=[], default="pong")
    result, events = asyncio.run(_run("bench", "ctx", RunSettings(root_model=root, sub_model=sub)))
    cell = next(e for e in events if e.kind == "cell_finished")
    median, p99 = (float(x) for x in cell.stdout.split())
    return {"llm_query_median_us": round(median, 1), "llm_query_p99_us": round(p99, 1), "calls": calls}


def batched(directory: Path) -> dict:
    code = ("import time\nt = time.perf_counter()\nr = llm_query_batched([f'q{i}' for i in range(64)])\n"
            "print(time.perf_counter() - t)\nFINAL(len(r))")
    root = _script(directory, "b_root", responses=[_repl(code)])
    sub = _script(directory, "b_sub", rules=[], default="a", delay_ms=50)
    result, events = asyncio.run(_run("bench", "ctx", RunSettings(root_model=root, sub_model=sub,
                                                                  batch_concurrency=16)))
    cell = next(e for e in events if e.kind == "cell_finished")
    return {"batched_64x50ms_c16_s": round(float(cell.stdout.strip()), 3), "target_s": 0.22, "floor_s": 0.2}


def big_context(directory: Path) -> dict:
    context = ("lorem ipsum dolor sit amet " * 4_000_000)[:100_000_000]
    root = _script(directory, "c_root", responses=[_repl("print(len(context))\nFINAL('ok')")])
    t0 = time.perf_counter()
    result, events = asyncio.run(_run("bench", context, RunSettings(root_model=root)))
    total = time.perf_counter() - t0
    started = next(e for e in events if e.kind == "run_started").ts
    first_cell = next(e for e in events if e.kind == "cell_started").ts
    return {"context_100mb_run_s": round(total, 3), "context_100mb_to_first_cell_s": round(first_cell - started, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        figures = {**roundtrip(directory, args.calls), **batched(directory), **big_context(directory)}
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")


if __name__ == "__main__":
    main()
