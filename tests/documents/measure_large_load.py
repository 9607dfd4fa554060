"""Measure time and peak memory of loading a big generated text file (not a test).

    .venv/bin/python tests/documents/measure_large_load.py --mb 200 [--non-ascii]

Each measurement runs in a fresh subprocess so peak RSS (ru_maxrss) belongs to it alone.
The file is generated in a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINE = "2024-03-01T12:00:00Z station=HALV sensor=temp value=-31.5 unit=C note=nominal reading\n"
LINE_NON_ASCII = "2024-03-01T12:00:00Z Station Halvør: Temperatur −31,5 °C, Wind 12 m/s, alles ruhig\n"


def generate(path: Path, megabytes: int, non_ascii: bool) -> None:
    block = (LINE_NON_ASCII if non_ascii else LINE) * 20_000
    target = megabytes * 1_000_000
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        written = 0
        while written < target:
            handle.write(block)
            written += len(block.encode("utf-8"))


def measure_in_this_process(path: str, cancel_at: float) -> dict[str, object]:
    from rlm_studio.documents import LoadCancelled, load_document

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    calls = []
    size = Path(path).stat().st_size
    start = time.perf_counter()
    try:
        doc = load_document(
            path,
            progress=lambda done, total: calls.append(done),
            cancel=lambda: bool(calls) and calls[-1] >= cancel_at * size,
        )
        outcome = {"chars": doc.chars, "encoding": doc.encoding}
    except LoadCancelled:
        outcome = {"cancelled_at_bytes": calls[-1]}
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "file_mb": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "progress_calls": len(calls),
        "baseline_rss_mb": round(baseline_kb / 1024, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_over_file_size": round((peak_kb - baseline_kb) * 1024 / size, 2),
        **outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--non-ascii", action="store_true", help="lines with ø, −, ° (UCS-2 str)")
    parser.add_argument("--cancel-at", type=float, default=2.0, help="fraction of the file (e.g. 0.5)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_in_this_process(args.child, args.cancel_at)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.log"
        generate(path, args.mb, args.non_ascii)
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(path), "--cancel-at", str(args.cancel_at)],
            capture_output=True, text=True, check=True,
        )
        print(result.stdout.strip())


if __name__ == "__main__":
    main()
