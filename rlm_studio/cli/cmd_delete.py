"""`rlm-studio delete RUN`: delete a run and the stored texts no other run uses."""

from __future__ import annotations

import argparse
import sys

from .common import CliError, add_db_option, open_store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("delete", help="delete a stored run", description="Delete a run for good.")
    p.add_argument("run", help="run id (or its first characters)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (for scripts)")
    add_db_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = open_store(args)
    try:
        run = store.get_run(args.run)
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("refusing to delete without confirmation: stdin is not a terminal; add --yes")
            question = " ".join(run["question"].split())[:60]
            reply = input(f"Delete run {run['id']} ({run['status']}, {question!r})? [y/N] ")
            if reply.strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 1
        store.delete_run(run["id"])
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    print(f"deleted run {run['id']}")
    return 0
