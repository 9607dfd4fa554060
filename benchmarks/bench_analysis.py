"""Analysis figures: building the tree of a 10,000-node run event by event, and replay seeks in it.

These are the speeds the analysis tests used to assert with wall-clock bounds; tests now check only that
the results are exact, and the speed is measured here.
Usage: python benchmarks/bench_analysis.py [--json] [--nodes N]
Targets: tree of 10,000 nodes <= 1 s (incremental totals included); a seek anywhere <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlm_studio.analysis.replay import Replay  # noqa: E402
from rlm_studio.analysis.tree import RunTree  # noqa: E402
from tests.analysis.analysis_streams import big_run  # noqa: E402


def bench_tree(n_nodes: int, repeats: int = 3) -> dict:
    events = big_run(n_nodes).events
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tree = RunTree()
        for event in events:
            tree.apply(event)
        tree.totals()
        times.append(time.perf_counter() - start)
    return {"nodes": len(tree), "events": len(events), "build_ms": round(min(times) * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1), "target_ms": 1000}


def bench_seeks(n_nodes: int) -> dict:
    events = big_run(n_nodes).events
    replay = Replay(events)
    replay.seek(len(events))
    targets = [len(events) // 2 + 7, 123, len(events) - 1, 9_999, 100, len(events) - 3, 5_000, 1]
    times = []
    for target in targets:
        start = time.perf_counter()
        replay.seek(min(target, len(events)))
        times.append(time.perf_counter() - start)
    return {"seeks": len(times), "median_ms": round(statistics.median(times) * 1000, 2),
            "max_ms": round(max(times) * 1000, 2), "target_ms": 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--nodes", type=int, default=10_000)
    args = parser.parse_args()
    results = {"tree": bench_tree(args.nodes), "seek": bench_seeks(args.nodes)}
    if args.json:
        print(json.dumps(results))
        return
    t, s = results["tree"], results["seek"]
    print(f"tree of a {t['nodes']:,}-node run ({t['events']:,} events), applied one by one: {t['build_ms']} ms "
          f"(median {t['median_ms']} ms)  target <= {t['target_ms']} ms")
    print(f"replay seeks in it: median {s['median_ms']} ms, slowest {s['max_ms']} ms of {s['seeks']}  "
          f"target <= {s['target_ms']} ms")


if __name__ == "__main__":
    main()
