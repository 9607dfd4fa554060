"""Follow-up turns from the command line: `rlm-studio ask RUN "question"` and `run ... --then "question"`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from .common import CliError, print_answer, print_json, save_findings


def add_then_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--then", action="append", default=[], metavar="QUESTION",
                        help="after the run, ask this follow-up in the same REPL (repeatable: one turn each)")


def load_chain(store: Any, run_id: str) -> list[list[Any]]:
    """The events of every turn of RUN's conversation up to RUN, oldest first."""
    from rlm_studio.storage import StorageError
    from rlm_studio.storage.conversations import turn_events

    try:
        return turn_events(store, run_id)
    except StorageError as exc:
        raise CliError(str(exc)) from None


def run_turn(session: Any, store: Any, *, quiet: bool, as_json: bool) -> tuple[Any, list[Any], int]:
    """Run one turn's session (stored unless `store` is None), print its answer; (result, events, exit code)."""
    from rlm_studio.models.scripted import ScriptFileError
    from rlm_studio.storage.conversations import link_turn

    from .cmd_run import _close_writer, _Progress, _run

    try:
        session.resolve_models()
    except (ScriptFileError, ValueError) as exc:
        raise CliError(str(exc)) from None
    events: list[Any] = []
    session.add_sink(events.append)
    writer = store.writer() if store is not None else None
    if writer is not None:
        session.add_sink(writer.append)
    if not quiet and not as_json:
        session.add_sink(_Progress())
    storage_error = None
    try:
        result = asyncio.run(_run(session))
    finally:
        if writer is not None:
            storage_error = _close_writer(writer)
    link = session.settings.extra.get("conversation")
    if store is not None:
        save_findings(store, result.run_id)
        from .large_context import keep_in_store

        keep_in_store(store, result.run_id, session.context, quiet=True)   # a file-backed document: referenced
        if link:
            link_turn(store, result.run_id, str(link["id"]), int(link["turn"]), link.get("previous_run_id"))
    if storage_error:
        print(f"rlm-studio: error: {storage_error}", file=sys.stderr)
    summary = result.summary()
    if link:
        summary["conversation"] = link
    if as_json:
        print_json(summary)
    else:
        if result.status != "completed":
            reason = result.limit or (result.error or {}).get("message") or result.status
            print(f"run {result.run_id} stopped: {result.status} ({reason})", file=sys.stderr)
        print_answer(result.answer, result.best_candidate)
    return result, events, 0 if result.status == "completed" and not storage_error else 1


def follow_up(chain: list[list[Any]], question: str, store: Any, *, settings: Any = None, more_context: Any = None,
              quiet: bool = False, as_json: bool = False) -> tuple[Any, list[Any], int]:
    """Ask `question` as the next turn after `chain` (each earlier turn's events, oldest first)."""
    from rlm_studio.engine.follow_up import FollowUpError, follow_up_session, plan_follow_up, with_more_documents
    from rlm_studio.engine.recorded import recorded_context

    from .large_context import restore_context

    if not question.strip():
        raise CliError("the follow-up question is empty")
    try:
        context = with_more_documents(recorded_context(chain[-1]), more_context)
        context = restore_context(store, context, quiet=quiet or as_json)   # a file-backed run's document
        plan = plan_follow_up(chain, settings=settings, context=context)
        session = follow_up_session(plan, question, settings)
    except (FollowUpError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if not quiet and not as_json:
        print(f"turn {plan.turn} of conversation {plan.conversation_id}: rebuilding the REPL from "
              f"{len(plan.cells())} recorded cell(s)", file=sys.stderr)
    return run_turn(session, store, quiet=quiet, as_json=as_json)


def then_turns(args: argparse.Namespace, first_events: list[Any], store: Any, code: int) -> int:
    """`run ... --then Q ...`: each question a follow-up turn after the run and the turns before it."""
    chain = [first_events]
    for question in args.then:
        _, events, turn_code = follow_up(chain, question, store, quiet=args.quiet, as_json=args.json)
        chain.append(events)
        code = max(code, turn_code)
    return code
