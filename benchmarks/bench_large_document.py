"""Large documents end to end: load, time to the first cell, host memory, at three sizes.

Usage: .venv/bin/python benchmarks/bench_large_document.py [--sizes 10,100,1000] [--json]

For each size (MB of UTF-8 text, generated once under /tmp) two ways in a fresh process each, so the peak
memory is that process's own:

- `file`: the document streamed into a file-backed context (sandbox.FileContext), as `rlm-studio run`
  does for text files of 64 MB or more; the engine hands the file to the sandbox worker;
- `str`: the ordinary loader (documents.load_document -> one str), then the engine writes its context file.

Printed: load time, time from the run's start to the first cell's result (a scripted root whose cell
prints len(context); the sandbox worker maps the whole file), peak RSS of the app process above its
baseline as a multiple of the document, and the sandbox worker's own peak RSS (VmHWM, read by the cell:
its `context` is one str by design, 2 bytes a character once the text has a non-Latin-1 one).
The UI's longest stall is not measured here (the app's loader still builds a str; see README limits).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LINE = "Record {i:09d}: the shipment left dock {d} on day {day}; signed by inspector {name}.\n"
NAMES = ("Aino", "Bram", "Chloé", "Dmitri", "Eun-ji", "Farah", "Goran", "Hiroshi")


def make_document(mb: int) -> Path:
    path = Path(f"/tmp/rlm-bench-doc-{mb}mb.txt")
    target = mb * 1_000_000
    if path.exists() and path.stat().st_size >= target:
        return path
    with open(path, "w", encoding="utf-8") as out:
        written, i = 0, 0
        while written < target:
            block = "".join(LINE.format(i=j, d=j % 17, day=j % 365, name=NAMES[j % 8]) for j in range(i, i + 10000))
            out.write(block)
            written += len(block.encode())
            i += 10000
    return path


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(path: Path, how: str) -> dict[str, float]:
    """Run in a child process: load `path` the `how` way, then run to the first cell."""
    import asyncio
    import tempfile

    from rlm_studio.engine.session import RlmSession
    from rlm_studio.engine.settings import RunSettings

    baseline = rss_mb()
    folder = Path(tempfile.mkdtemp(prefix="rlm-bench-large-"))
    script = folder / "root.json"
    cell = ("hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(len(context), hwm)")
    script.write_text(json.dumps({"responses": [f"```repl\n{cell}\n```", "FINAL(done)"]}))
    started = time.perf_counter()
    if how == "file":
        from rlm_studio.sandbox import FileContext

        context: object = FileContext.from_text_files([(path.name, path)], folder / "context.bin")
    else:
        from rlm_studio.documents import as_context, load_document

        context = as_context(load_document(path))
    load_s = time.perf_counter() - started
    first_cell: list[float] = []
    printed: list[str] = []

    def sink(event: object) -> None:
        if getattr(event, "kind", "") == "cell_finished" and not first_cell:
            first_cell.append(time.perf_counter())
            printed.append(getattr(event, "stdout", "").strip())

    async def go() -> float:
        session = RlmSession("How many characters?", context, RunSettings(root_model=f"script:{script}",
                                                                          max_iterations=2), sinks=[sink])
        run_started = time.perf_counter()
        result = await session.run()
        assert result.status == "completed", result
        return run_started

    run_started = asyncio.run(go())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    length, worker_kb = printed[0].split()
    doc_mb = path.stat().st_size / 1e6
    return {"load_s": load_s, "first_cell_s": first_cell[0] - run_started, "len": int(length),
            "host_ratio": (peak - baseline) / doc_mb, "host_peak_mb": peak, "worker_peak_mb": int(worker_kb) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100", help="MB, comma-separated (the issue's three: 10,100,1000)")
    parser.add_argument("--ways", default="file,str")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "HOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), args.child[1])))
        return
    rows = []
    for mb in [int(s) for s in args.sizes.split(",")]:
        path = make_document(mb)
        for how in args.ways.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", str(path), how], capture_output=True,
                                 text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if out.returncode != 0:
                raise SystemExit(f"{mb} MB {how}: failed\n{out.stderr[-2000:]}")
            rows.append({"mb": mb, "how": how, **json.loads(out.stdout.strip().splitlines()[-1])})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'MB':>6} {'way':>5} {'load s':>8} {'first cell s':>13} {'host peak - base':>17} {'worker peak MB':>15}")
    for r in rows:
        print(f"{r['mb']:>6} {r['how']:>5} {r['load_s']:>8.2f} {r['first_cell_s']:>13.2f} "
              f"{r['host_ratio']:>15.2f}x {r['worker_peak_mb']:>15,.0f}")


if __name__ == "__main__":
    main()
