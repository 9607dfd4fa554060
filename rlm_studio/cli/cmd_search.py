"""`rlm-studio search TEXT`: find runs by words in questions, answers, code, output, prompts, responses."""

from __future__ import annotations

import argparse

from .common import CliError, add_db_option, open_store, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("search", help="full-text search over stored runs",
                              description="Search questions, answers, code, output, prompts and responses.")
    p.add_argument("text", nargs="+", help="words that must all appear")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print a JSON list of hits")
    add_db_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = open_store(args)
    try:
        hits = store.search(" ".join(args.text), limit=args.limit)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if args.json:
        print_json(hits)
        return 0
    if not hits:
        print("no matches")
        return 0
    for hit in hits:
        snippet = " ".join(hit["snippet"].split())
        print(f"{hit['run_id']}  {hit['node_id']:<6} {hit['field']:<8}  {snippet}")
    return 0
