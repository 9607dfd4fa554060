"""`rlm-studio show RUN`: a run's tree with tokens, cost and time per node."""

from __future__ import annotations

import argparse
import time
from typing import Any

from .common import CliError, add_db_option, open_store, print_json


def _count(n: int, noun: str) -> str:
    """'1 iteration', '2 iterations'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("show", help="show a run's tree with tokens, cost and time per node",
                              description="Show a stored run: its answer, totals and tree.")
    p.add_argument("run", help="run id (or its first characters)")
    p.add_argument("--json", action="store_true",
                   help='print {"run": {...}, "nodes": [...], "findings": [...]} (each node with its own figures and '
                        '"subtree")')
    p.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                   help="a failure-mode threshold, e.g. subcalls_per_iteration=20 (repeatable)")
    add_db_option(p)
    p.set_defaults(func=handle)


def _thresholds(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--threshold takes NAME=VALUE, not {pair!r}")
        try:
            out[name.strip()] = float(value) if "." in value else int(value)
        except ValueError:
            raise CliError(f"--threshold {name}: {value!r} is not a number") from None
    return out


def _cost(value: float | None, unknown: bool = False) -> str:
    if value is None:
        return "$?"
    return f"${value:.4f}" + ("+?" if unknown else "")


def _duration(ms: float | None) -> str:
    if ms is None:
        return "…"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _line(node: dict[str, Any], subtree: dict[str, Any] | None) -> str:
    """One node; `subtree`: its totals when it has children (the one totals, as `show --json` gives them)."""
    parts = [node["label"]]
    if node["model"]:
        parts.append(f"[{node['model']}]")
    if node["summary"]:
        parts.append("— " + node["summary"][:70])
    figures = []
    if node["input_tokens"] or node["output_tokens"] or node["kind"] in ("model_call", "subcall"):
        figures.append(f"{node['input_tokens']:,} in / {node['output_tokens']:,} out")
        figures.append(_cost(node["cost_usd"]))
    if subtree is not None and (subtree["input_tokens"] or subtree["output_tokens"]):
        figures.append(f"subtree {subtree['input_tokens'] + subtree['output_tokens']:,} tok "
                       f"{_cost(subtree['known_cost_usd'], subtree['cost_unknown'])}")
    figures.append(_duration(node["duration_ms"]))
    if node["status"] not in ("ok", "completed"):
        figures.append(node["status"].upper())
    text = " ".join(parts) + "  (" + ", ".join(figures) + ")"
    if node["error"]:
        text += f"  ! {node['error'][:100]}"
    return text


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.analysis.findings import detect_findings
    from rlm_studio.storage import StorageError

    thresholds = _thresholds(args.threshold)
    store = open_store(args)
    try:
        store.mark_interrupted()
        run = store.get_run(args.run)
        nodes = store.load_nodes(run["id"])
        totals = store.subtree_totals(run["id"])
        events = store.load_events(run["id"])
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    try:
        findings = detect_findings(events, thresholds)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for node in nodes:
        node["subtree"] = totals[node["id"]]
    finished = next((e for e in reversed(events) if e.kind == "run_finished" and e.parent_id is None), None)
    run["best_candidate"] = getattr(finished, "best_candidate", None) if run["answer"] is None else None
    if args.json:
        print_json({"run": run, "nodes": nodes, "findings": findings})
        return 0
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["created_at"]))
    print(f"Run {run['id']}  {run['status']}  {created}  {run['root_model']}"
          + (f" / {run['sub_model']}" if run["sub_model"] else ""))
    if run["name"]:
        print(f"Name:     {run['name']}")
    if run.get("damage"):
        print(f"Damaged:  {run['damage']}")
    print(f"Question: {' '.join(run['question'].split())[:200]}")
    if run["answer"] is not None:
        print(f"Answer:   {run['answer'][:500]}")
    elif run["status"] != "running":
        candidate = run["best_candidate"]
        print("Answer:   (none)" + (f"; best candidate, from the {candidate.get('source', 'run')}: "
                                    f"{' '.join(str(candidate.get('text', '')).split())[:500]}" if candidate else ""))
    print(f"Totals:   {_count(run['iterations'], 'iteration')}, {_count(run['subcalls'], 'sub-call')}, "
          f"{_count(run['child_runs'], 'child run')}, {_count(run['model_calls'], 'model call')}, "
          f"{run['input_tokens']:,} in / {run['output_tokens']:,} out tokens, "
          f"{_cost(run['cost_usd'], run['cost_unknown'])}, {_duration(run['duration_ms'])}, "
          f"max depth {run['max_depth_reached']}")
    for warning in run["warnings"]:
        print(f"Warning:  {warning}")
    if run["tags"]:
        print(f"Tags:     {', '.join(run['tags'])}")
    for finding in findings:
        nodes_text = ", ".join(finding["nodes"][:8]) + (" …" if len(finding["nodes"]) > 8 else "")
        print(f"Finding:  {finding['kind']}: {finding['reason']}" + (f" [{nodes_text}]" if nodes_text else ""))
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in nodes:
        children.setdefault(node["parent_id"], []).append(node)
    print()

    def walk(node: dict[str, Any], prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        kids = children.get(node["id"], [])
        print(prefix + branch + _line(node, node["subtree"] if kids else None))
        deeper = prefix + ("" if top else ("   " if last else "│  "))
        for i, kid in enumerate(kids):
            walk(kid, deeper, i == len(kids) - 1, False)

    known = {n["id"] for n in nodes}
    roots = [n for n in nodes if n["parent_id"] is None or n["parent_id"] not in known]
    for root in roots:
        walk(root, "", True, True)
    return 0
