"""`rlm-studio runs`: list the stored runs, newest first, with filters."""

from __future__ import annotations

import argparse
import time

from .common import CliError, add_db_option, open_store, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("runs", help="list stored runs", description="List stored runs, newest first.")
    p.add_argument("--status", choices=("running", "completed", "limit_hit", "failed", "cancelled", "interrupted",
                                        "damaged"))
    p.add_argument("--model", help="root or sub model contains this")
    p.add_argument("--text", help="words in the question, answer, code, output, prompts, name or note")
    p.add_argument("--since", metavar="DATE", help="created at or after, e.g. 2026-01-31 or 2026-01-31T14:00")
    p.add_argument("--until", metavar="DATE", help="created at or before")
    p.add_argument("--tag")
    p.add_argument("--finding", dest="finding", metavar="KIND",
                   help="runs with a finding of this failure mode, e.g. over_subcalling")
    p.add_argument("--flag", dest="finding", help=argparse.SUPPRESS)   # the older name, kept for scripts
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true", help="print a JSON list of run objects")
    add_db_option(p)
    p.set_defaults(func=handle)


def format_cost(cost: float | None, unknown: bool = False) -> str:
    if cost is None:
        return "?"
    text = f"${cost:.4f}" if cost < 100 else f"${cost:,.0f}"
    return text + ("+?" if unknown else "")


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = open_store(args)
    try:
        store.mark_interrupted()
        runs = store.list_runs(status=args.status, model=args.model, text=args.text, since=args.since,
                               until=args.until, tag=args.tag, finding=args.finding, limit=args.limit)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if args.json:
        print_json(runs)
        return 0
    if not runs:
        print("no runs")
        return 0
    print(f"{'ID':<20}  {'CREATED':<16}  {'STATUS':<11}  {'ROOT MODEL':<22}  {'IT':>3}  {'SUB':>5}  {'KIDS':>4}  {'TOKENS':>9}  "
          f"{'COST':>9}  QUESTION")
    for run in runs:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(run["created_at"]))
        tokens = run["input_tokens"] + run["output_tokens"]
        title = run["name"] or (run["question"].strip().splitlines() or [""])[0]
        print(f"{run['id']:<20}  {created:<16}  {run['status']:<11}  {run['root_model'][:22]:<22}  "
              f"{run['iterations']:>3}  {run['subcalls']:>5}  {run['child_runs']:>4}  {tokens:>9,}  {format_cost(run['cost_usd'], run['cost_unknown']):>9}  "
              f"{title[:60]}" + (f"  [{', '.join(run['finding_kinds'])}]" if run["finding_kinds"] else ""))
    return 0
