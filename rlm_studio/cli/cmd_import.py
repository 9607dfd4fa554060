"""`rlm-studio import FILE...`: import our JSONL exports and official RLMLogger logs."""

from __future__ import annotations

import argparse
import sys

from .common import CliError, add_db_option, open_store, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("import", help="import run files (our JSONL or official RLMLogger logs)",
                              description="Import runs. Each file is checked completely first: a file with "
                                          "a bad line is refused and nothing of it is stored.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the new run ids as a JSON list")
    add_db_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = open_store(args)
    imported: list[str] = []
    try:
        for name in args.files:
            try:
                results = store.import_file(name)
            except StorageError as exc:
                done = f" (already imported from earlier files: {', '.join(imported)})" if imported else ""
                raise CliError(f"{exc}{done}") from None
            for result in results:
                imported.append(result["run_id"])
                if not args.json:
                    note = (f" (id {result['original_run_id']} already existed: stored under a new id)"
                            if result["renamed"] else "")
                    print(f"{name}: imported run {result['run_id']}, {result['events']} events{note}")
    finally:
        store.close()
    if args.json:
        print_json(imported)
    elif not imported:
        print("nothing imported", file=sys.stderr)
    return 0
