"""`rlm-studio fork RUN --at N`: keep a stored run up to iteration N, continue from there anew."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from .common import CliError, add_db_option, load_run_events, open_store, print_answer, print_json, save_findings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("fork", help="continue a stored run from one of its iterations, with other settings",
                              description="Start a new run that keeps everything before root iteration N of RUN "
                                          "and continues from there. Settings not given are the parent's.")
    p.add_argument("run", help="run id (or a unique prefix)")
    p.add_argument("--at", type=int, required=True, metavar="N", help="the root iteration to redo (1-based)")
    p.add_argument("--root-model")
    p.add_argument("--sub-model")
    p.add_argument("--max-depth", type=int)
    p.add_argument("--max-iterations", type=int)
    p.add_argument("--max-subcalls", type=int)
    p.add_argument("--max-cost", type=float, metavar="USD")
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--max-time", type=float, metavar="SECONDS")
    p.add_argument("--edit-response", type=Path, metavar="FILE",
                   help="use this text as the root model's response at iteration N instead of calling it")
    p.add_argument("--json", action="store_true")
    add_db_option(p)
    p.set_defaults(func=handle)


_OVERRIDES = {"root_model": "root_model", "sub_model": "sub_model", "max_depth": "max_depth",
              "max_iterations": "max_iterations", "max_subcalls": "max_subcalls", "max_cost": "max_cost_usd",
              "max_tokens": "max_tokens", "max_time": "max_wall_s"}


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.engine.fork import ForkError, plan_fork
    from rlm_studio.engine.session import RlmSession
    store = open_store(args)
    run_id, events = load_run_events(store, args.run)
    edited = None
    if args.edit_response is not None:
        try:
            edited = args.edit_response.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.edit_response}: {exc.strerror or exc}") from None
    try:
        plan = plan_fork(events, args.at, edited_response=edited)
    except ForkError as exc:
        raise CliError(str(exc)) from None
    from .large_context import keep_in_store, restore_context

    plan.context = restore_context(store, plan.context, quiet=getattr(args, "json", False))
    settings = plan.settings
    for arg, field in _OVERRIDES.items():
        value = getattr(args, arg)
        if value is not None:
            setattr(settings, field, value)
    try:
        session = RlmSession.from_fork(plan, settings)
        session.resolve_models()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    writer = store.writer()
    session.add_sink(writer.append)
    try:
        result = asyncio.run(session.run())
    finally:
        writer.close()
    save_findings(store, result.run_id)
    keep_in_store(store, result.run_id, plan.context, quiet=True)   # the fork refers to the document too
    summary = {**result.summary(), "parent_run_id": run_id, "forked_at_iteration": args.at}
    if args.json:
        print_json(summary)
    else:
        print(f"fork {result.run_id} of {run_id} at iteration {args.at}: {result.status}")
        print_answer(result.answer, result.best_candidate)
    return 0 if result.status == "completed" else 1
