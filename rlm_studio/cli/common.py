"""Helpers every command shares: the --db option, clear one-line errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily at run time, so --help stays fast
    from rlm_studio.engine.events import Event
    from rlm_studio.storage import Store


class CliError(Exception):
    """Bad input or a failure the user can act on: printed as one line, exit code 2."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="database file (default: $RLM_STUDIO_HOME/rlm_studio.db or the user data directory)")


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=None, default=str)
    sys.stdout.write("\n")


def open_store(args: argparse.Namespace) -> Store:
    """Open the database named by --db (or the default), turning storage errors into CliError."""
    from rlm_studio.storage import StorageError, Store

    try:
        return Store.open(getattr(args, "db", None))
    except StorageError as exc:
        raise CliError(str(exc)) from None


def load_run_events(store: Store, run: str) -> tuple[str, list[Event]]:
    """(full run id, its events) for a run id or unique prefix; storage errors become CliError."""
    from rlm_studio.storage import StorageError

    try:
        run_id = store.resolve_run_id(run)
        return run_id, store.load_events(run_id)
    except StorageError as exc:
        raise CliError(str(exc)) from None


def save_findings(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Detect the run's findings from its stored events and save them (history badges, `runs --finding`)."""
    from rlm_studio.analysis.findings import detect_and_save_findings

    return detect_and_save_findings(store, run_id, store.load_events(run_id))


def print_answer(answer: str | None, best_candidate: dict[str, Any] | None) -> None:
    """The answer on stdout; without one, nothing there and a labelled best candidate on stderr."""
    if answer is not None:
        print(answer)
        return
    if best_candidate and best_candidate.get("text"):
        text = " ".join(str(best_candidate["text"]).split())
        shown = text if len(text) <= 300 else text[:300] + "…"
        print(f"no answer; best candidate (from the {best_candidate.get('source', 'run')}): {shown}", file=sys.stderr)
    else:
        print("no answer", file=sys.stderr)
