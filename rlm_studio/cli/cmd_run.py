"""`rlm-studio run`: run an RLM over documents from the terminal and print the answer."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import run_options, turns
from .common import CliError, add_db_option, print_answer, print_json, save_findings

if TYPE_CHECKING:  # imported where used, so --help stays fast
    from rlm_studio.engine.session import RlmSession
    from rlm_studio.engine.settings import RunResult, RunSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("run", help="run an RLM over documents and print the answer",
                              description="Run a Recursive Language Model over the given files or folders.")
    p.add_argument("--context", "-c", nargs="+", required=True, metavar="PATH",
                   help="files and/or folders whose text becomes `context`")
    p.add_argument("--question", "-q", required=True, help="the question to answer")
    p.add_argument("--root-model", default=None, help='root model: "bundled" (default), "script:FILE.json", '
                   "or any litellm model string such as openai/gpt-5-mini")
    p.add_argument("--sub-model", default=None, help="model for llm_query sub-calls (default: the root model)")
    p.add_argument("--api-base", default=None, metavar="URL",
                   help="OpenAI-compatible server for the root and sub model (e.g. http://127.0.0.1:8080/v1)")
    p.add_argument("--max-depth", type=int, default=1, help="recursion depth for rlm_query (default 1)")
    p.add_argument("--max-iterations", type=int, default=20)
    p.add_argument("--max-subcalls", type=int, default=None)
    p.add_argument("--max-cost", type=float, default=None, metavar="USD")
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--max-time", type=float, default=None, metavar="SECONDS", help="wall-time limit of the run")
    p.add_argument("--cell-timeout", type=float, default=120.0, metavar="SECONDS")
    p.add_argument("--output-limit", type=int, default=20_000, metavar="CHARS",
                   help="REPL output shown to the root model per block (default 20000)")
    p.add_argument("--isolation", choices=("auto", "bwrap", "process"), default="auto")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="inside folders: only these (a pattern that names a default exclusion, such as venv/**, "
                        "loads it)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="inside folders: not these")
    p.add_argument("--system-prompt", type=Path, default=None, metavar="FILE", help="use this system prompt")
    p.add_argument("--no-db", action="store_true", help="do not record the run in the database")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the answer")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run_options.add_arguments(p)
    turns.add_then_argument(p)
    add_db_option(p)
    p.set_defaults(func=handle)


def load_context(paths: list[str], include: list[str], exclude: list[str],
                 quiet: bool = False) -> tuple[Any, list[Any]]:
    """The run's context from files and folders; what folders skipped, and texts read as something other
    than UTF-8, are told on stderr (unless `quiet`)."""
    from rlm_studio.documents import (
        DocumentError,
        as_context,
        encoding_lines,
        load_document,
        load_folder,
        skipped_lines,
    )

    documents = []
    skipped = []
    try:
        for raw in paths:
            path = Path(raw).expanduser()
            if not path.exists():
                raise CliError(f"{raw}: no such file or folder")
            if path.is_dir():
                loaded = load_folder(path, include=include, exclude=exclude)
                documents.extend(loaded.documents)
                skipped.extend(loaded.skipped)
            else:
                documents.append(load_document(path))
    except DocumentError as exc:
        raise CliError(str(exc)) from None
    if not quiet:
        for line in skipped_lines(skipped) + [f"note: {line}" for line in encoding_lines(documents)]:
            print(line, file=sys.stderr)
    context = as_context(documents)
    if not documents or (isinstance(context, str) and not context.strip()):
        raise CliError("the context is empty")
    return context, documents


def build_settings(args: argparse.Namespace) -> RunSettings:
    from rlm_studio.engine.settings import RunSettings

    system_prompt = None
    if args.system_prompt is not None:
        try:
            system_prompt = args.system_prompt.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.system_prompt}: {exc.strerror or exc}") from None
    settings = RunSettings(
        root_model=args.root_model or "bundled", sub_model=args.sub_model, max_depth=args.max_depth,
        max_iterations=args.max_iterations, max_subcalls=args.max_subcalls, max_cost_usd=args.max_cost,
        max_tokens=args.max_tokens, max_wall_s=args.max_time, cell_timeout_s=args.cell_timeout,
        output_limit_chars=args.output_limit, isolation=args.isolation, system_prompt=system_prompt)
    run_options.apply(args, settings)
    try:
        settings.validate()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return settings


class _Progress:
    """One line on stderr per thing that happened, so a long run is never silent."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.depths: dict[str, int] = {}  # node id -> the depth of the RLM it belongs to (child runs indent)

    def _depth(self, event: Any) -> int:
        node, parent = getattr(event, "node_id", None), getattr(event, "parent_id", None)
        if event.kind == "run_started":
            depth = int(getattr(event, "depth", 0) or 0)
        else:
            depth = self.depths.get(node or "", self.depths.get(parent or "", 0))
        if node:
            self.depths.setdefault(node, depth)
        return depth

    def __call__(self, event: Any) -> None:
        kind, t = event.kind, time.monotonic() - self.started
        depth = self._depth(event)
        indent = "    " * depth  # a child run's lines sit under its "child run" line
        line = None
        if kind == "iteration_started":
            line = f"{indent}iteration {event.index}"
        elif kind == "cell_finished":
            state = "error" if event.error else "timeout" if event.timed_out else "ok"
            line = f"{indent}  cell {state} ({event.duration_ms:.0f} ms)"
        elif kind == "subcall_finished" and event.error:
            line = f"{indent}  sub-call failed: {event.error.get('message')}"
        elif kind == "run_started" and depth > 0:
            line = f"{'    ' * (depth - 1)}  child run at depth {depth}"
        elif kind == "notice":
            line = f"{indent}  {event.level}: {event.message}"
        elif kind == "history_compacted":
            line = f"{indent}  history compacted ({event.tokens_before} -> {event.tokens_after} tokens)"
        if line:
            print(f"[{t:6.1f}s] {line}", file=sys.stderr, flush=True)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.engine.session import RlmSession
    from rlm_studio.models.scripted import ScriptFileError

    if not args.question.strip():
        raise CliError("the question is empty")
    settings = build_settings(args)
    from .large_context import keep_in_store, load_large_context

    # a --then turn restores a file-backed document from the database, so without one it loads the ordinary way
    streamed = not (getattr(args, "then", None) and args.no_db)
    context = load_large_context(args.context, quiet=args.quiet) if streamed else None
    if context is None:
        context, _ = load_context(args.context, args.include, args.exclude, quiet=args.quiet)
    run_options.check_tools(settings)
    model_settings = None
    if args.api_base:
        from rlm_studio.models.registry import ModelSettings

        specs = {settings.root_model, settings.sub_model or settings.root_model}
        model_settings = ModelSettings(api_bases={spec: args.api_base for spec in specs})
    session = RlmSession(args.question, context, settings, model_settings=model_settings)
    try:
        session.resolve_models()
    except ScriptFileError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None

    writer = store = None
    if not args.no_db:
        from .common import open_store

        store = open_store(args)
        store.mark_interrupted()
        writer = store.writer()
        session.add_sink(writer.append)
    if not args.quiet and not args.json:
        session.add_sink(_Progress())
    storage_error = None
    events: list[Any] = []
    session.add_sink(events.append)
    try:
        result = asyncio.run(_run(session))
    finally:
        if writer is not None:
            storage_error = _close_writer(writer)
    damage = writer.damage.get(result.run_id) if writer is not None else None
    if store is not None:
        save_findings(store, result.run_id)
        keep_in_store(store, result.run_id, context, quiet=args.quiet or args.json)
    summary = result.summary()
    if damage:      # what the database says about the run, and why
        summary.update(status="damaged", damage=damage)
    if storage_error:
        print(f"rlm-studio run: error: {storage_error}", file=sys.stderr)
    if args.json:
        print_json(summary)
    else:
        if result.warnings:
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        if result.status != "completed":
            reason = result.limit or (result.error or {}).get("message") or result.status
            print(f"run {result.run_id} stopped: {result.status} ({reason})", file=sys.stderr)
        print_answer(result.answer, result.best_candidate)
    code = 0 if result.status == "completed" and not storage_error else 1
    return turns.then_turns(args, events, store, code) if args.then else code


def _close_writer(writer: Any) -> str | None:
    """Close the run's database writer; the storage error (the run is then marked damaged), if any."""
    from rlm_studio.storage import StorageError

    try:
        writer.close()
    except StorageError as exc:
        return str(exc)
    return None


async def _run(session: RlmSession) -> RunResult:
    import signal

    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, session.cancel)
    except (NotImplementedError, RuntimeError):
        pass
    return await session.run()
