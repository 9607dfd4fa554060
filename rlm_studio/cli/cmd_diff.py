"""`rlm-studio diff RUN_A RUN_B`: the totals of two stored runs side by side, then what they did differently."""

from __future__ import annotations

import argparse
from typing import Any

from .common import CliError, add_db_option, open_store, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("diff", help="compare two runs: totals with deltas, then code/output/answer differences",
                              description="Compare two stored runs. Iterations are aligned by number, then cells "
                                          "and sub-calls by their order; ids, times and latencies never count "
                                          "as differences.")
    p.add_argument("run_a", metavar="RUN_A", help="the first run's id (or its first characters)")
    p.add_argument("run_b", metavar="RUN_B", help="the second run's id (or its first characters)")
    p.add_argument("--json", action="store_true", help='print {"differences": [...], "totals": {...}}')
    p.add_argument("--responses", action="store_true",
                   help="also compare the root model's full responses (prose too, not only the code run)")
    add_db_option(p)
    p.set_defaults(func=handle)


def _number(key: str, value: Any, *, signed: bool = False) -> str:
    if value is None:
        return "?"
    sign = "+" if signed and value > 0 else ""
    if key == "cost_usd":
        return f"{sign}{value:.4f}" if value or not signed else "0"
    if key == "wall_s":
        return f"{sign}{value:.1f}"
    return f"{sign}{value:,}"


def _cost(figures: dict[str, Any]) -> str:
    """A cost with an unknown price shows its priced part and a question mark: 0.0012+?"""
    if figures.get("cost_usd") is None:
        return f"{figures.get('known_cost_usd') or 0:.4f}+?"
    return f"{figures['cost_usd']:.4f}"


def _short(text: str, limit: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_totals(totals: dict[str, Any]) -> str:
    rows = [("", "A", "B", "B - A")]
    for metric in totals["metrics"]:
        key = metric["key"]
        a, b = (_cost(totals[side]) if key == "cost_usd" else _number(key, totals[side][key]) for side in "ab")
        rows.append((metric["label"], a, b, _number(key, totals["delta"][key], signed=True)))
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        lines.append(f"  {row[0]:<{width[0]}}  " + "  ".join(f"{cell:>{width[i + 1]}}" for i, cell in enumerate(row[1:])))
    return "\n".join(lines)


def format_difference(difference: dict[str, Any]) -> str:
    head = f"{difference['path']} — {difference['field']}"
    if difference["field"] == "presence":
        return f"{head}: {difference['diff']}"
    a, b = difference["a"], difference["b"]
    one_liners = all(v is None or (isinstance(v, str) and "\n" not in v.strip() and len(v) <= 80) for v in (a, b))
    if one_liners or not difference["diff"]:
        return f"{head}: {a!r} -> {b!r}"
    body = difference["diff"]
    return head + "\n" + "\n".join("    " + line for line in body.rstrip("\n").splitlines())


def format_comparison(result: dict[str, Any]) -> str:
    a, b = result["totals"]["a"], result["totals"]["b"]
    lines = [f"A: run {a['run_id']} ({a['status']})", f"B: run {b['run_id']} ({b['status']})"]
    if a["question"] != b["question"]:
        lines += [f"A asked: {_short(a['question'])}", f"B asked: {_short(b['question'])}"]
    lines += ["",
             format_totals(result["totals"]), ""]
    differences = result["differences"]
    if not differences:
        lines.append("No differences in code, output, sub-calls, errors or answers.")
    else:
        lines.append(f"{len(differences)} difference{'s' if len(differences) != 1 else ''}:")
        for difference in differences:
            lines.append("")
            lines.append(format_difference(difference))
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.analysis.diff import diff_runs
    from rlm_studio.storage import StorageError

    store = open_store(args)
    try:
        events_a = store.load_events(store.resolve_run_id(args.run_a))
        events_b = store.load_events(store.resolve_run_id(args.run_b))
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    try:
        result = diff_runs(events_a, events_b, root_responses=args.responses)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(result)
    else:
        print(format_comparison(result))
    return 0
