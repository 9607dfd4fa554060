"""`rlm-studio replay RUN`: step through a stored run in the order things happened, or re-execute it."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

from .common import add_db_option, load_run_events, open_store, print_json

if TYPE_CHECKING:  # imported where used, so --help stays fast
    from rlm_studio.engine import events as ev
    from rlm_studio.engine.run_tree.fold import Nodes


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("replay", help="replay a stored run step by step, or re-execute it",
                              description="Print a stored run event by event as it happened. With --reexecute, "
                                          "run its recorded root responses and sub-call answers again against a "
                                          "fresh sandbox and report the cells whose output differs.")
    p.add_argument("run", help="run id (or a unique prefix)")
    p.add_argument("--speed", type=float, default=0.0,
                   help="play at this multiple of the recorded pace (default 0: as fast as possible)")
    p.add_argument("--reexecute", action="store_true", help="re-run the recording and compare REPL outputs")
    p.add_argument("--json", action="store_true")
    add_db_option(p)
    p.set_defaults(func=handle)


def describe(event: ev.Event, depth: int) -> str | None:
    from rlm_studio.engine import events as ev

    pad = "  " * depth
    if isinstance(event, ev.RunStarted):
        return f"{pad}run (depth {event.depth}): {' '.join(event.question.split())[:100]}"
    if isinstance(event, ev.IterationStarted):
        return f"{pad}iteration {event.index}"
    if isinstance(event, ev.ModelCallFinished):
        u = event.usage or {}
        return f"{pad}root call {event.model}: {u.get('input_tokens', 0)} in / {u.get('output_tokens', 0)} out" + (
            f" ERROR {event.error.get('message')}" if event.error else "")
    if isinstance(event, ev.CellStarted):
        first = next((line for line in event.code.splitlines() if line.strip()), "")
        return f"{pad}cell {event.index}: {first[:100]}"
    if isinstance(event, ev.CellFinished):
        out = " ".join(event.stdout.split())[:100]
        return f"{pad}  -> " + (f"{event.error.get('type')}: {event.error.get('message')}" if event.error else out)
    if isinstance(event, ev.SubcallFinished):
        return f"{pad}sub-call: " + (f"ERROR {event.error.get('message')}" if event.error
                                     else " ".join(event.response.split())[:80])
    if isinstance(event, ev.FinalAnswer):
        return f"{pad}FINAL ({event.via}): {' '.join(event.answer.split())[:200]}"
    if isinstance(event, ev.RunFinished):
        return f"{pad}run finished: {event.status}" + (f" ({event.limit})" if event.limit else "")
    if isinstance(event, ev.Notice):
        return f"{pad}{event.level}: {event.message}"
    return None


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.engine.run_tree import apply_event
    store = open_store(args)
    run_id, events = load_run_events(store, args.run)
    if args.reexecute:
        return _reexecute(events, args, store)
    nodes: Nodes = {}
    previous_ts = events[0].ts if events else 0.0
    for event in events:
        if args.speed > 0:
            time.sleep(min(2.0, max(0.0, (event.ts - previous_ts) / args.speed)))
        previous_ts = event.ts
        apply_event(nodes, event)
        depth, node = 0, nodes.get(event.node_id)
        while node is not None and node.parent_id:
            depth += 1
            node = nodes.get(node.parent_id)
        line = describe(event, depth)
        if line:
            print(line, flush=True)
    return 0


def _reexecute(events: list[ev.Event], args: argparse.Namespace, store: Any = None) -> int:
    from rlm_studio.analysis.reexecute import cell_differences, reexecute
    from rlm_studio.engine.recorded import recorded_context
    from rlm_studio.engine.run_tree import RunTree

    from .large_context import restore_context

    context = restore_context(store, recorded_context(events), quiet=args.json)   # a file-backed run's document
    result, new_events = asyncio.run(reexecute(events, context=context))
    differences = cell_differences(events, new_events)
    if args.json:
        print_json({"differences": differences, "status": result.status, "answer": result.answer})
    elif not differences:
        cells = RunTree.from_events(events).totals().cells
        print(f"re-executed: no differences in {cells} cells; "
              f"answer {result.answer!r}")
    else:
        for d in differences:
            print(f"{d['path']}: {d['field']} differs", file=sys.stdout)
            print(f"  recorded:    {str(d['a'])[:300]!r}")
            print(f"  re-executed: {str(d['b'])[:300]!r}")
    return 0 if not differences else 1
