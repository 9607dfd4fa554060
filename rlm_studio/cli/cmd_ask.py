"""`rlm-studio ask RUN "question"`: a follow-up question on a stored run's REPL (the next turn of its conversation)."""

from __future__ import annotations

import argparse

from .common import CliError, add_db_option, open_store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "ask", help="ask a follow-up question on a run's REPL",
        description="Continue the conversation of RUN: a new run whose REPL is rebuilt as RUN left it (its cells "
                    "run again with their recorded sub-call answers), with earlier questions and answers in "
                    "question_N / answer_N / history_N. A run that failed or was stopped continues from the "
                    "state it reached.")
    p.add_argument("run", help="run id (or its first characters): the turn to continue from")
    p.add_argument("question", help="the follow-up question")
    p.add_argument("--context", "-c", nargs="+", default=None, metavar="PATH",
                   help="more files or folders for this turn (added to the earlier context)")
    p.add_argument("--root-model", default=None, help="root model for this turn (default: the run's)")
    p.add_argument("--sub-model", default=None, help="sub-model for this turn (default: the run's)")
    p.add_argument("--max-iterations", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the answer")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_db_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.engine.recorded import root_run_started
    from rlm_studio.engine.settings import RunSettings
    from rlm_studio.storage import StorageError

    from .cmd_run import load_context
    from .turns import follow_up, load_chain

    more = None
    if args.context:
        more, documents = load_context(args.context, [], [], quiet=args.quiet)
        if isinstance(more, str):       # one document: keep its name next to the earlier context
            more = {documents[0].name: more}
    store = open_store(args)
    try:
        try:
            run_id = store.resolve_run_id(args.run)
        except StorageError as exc:
            raise CliError(str(exc)) from None
        store.mark_interrupted()
        chain = load_chain(store, run_id)
        settings = RunSettings.from_dict(getattr(root_run_started(chain[-1]), "settings", {}))
        if args.root_model:
            settings.root_model = args.root_model
        if args.sub_model:
            settings.sub_model = args.sub_model
        if args.max_iterations is not None:
            settings.max_iterations = args.max_iterations
        try:
            settings.validate()
        except ValueError as exc:
            raise CliError(str(exc)) from None
        _, _, code = follow_up(chain, args.question, store, settings=settings, more_context=more,
                               quiet=args.quiet, as_json=args.json)
    finally:
        store.close()
    return code
