"""`rlm-studio bench`: run the paper's benchmarks (S-NIAH, OOLONG-style, BrowseComp-Plus-style, CodeQA) and report."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import CliError, add_db_option, print_json

if TYPE_CHECKING:  # imported where used, so --help stays fast
    from rlm_studio.bench.store import BenchStore

SUITE_HELP = (
    "a suite (paper: every family; sniah-all: the three S-NIAH variants), one family or a comma-separated list. "
    "Families: sniah, sniah-multikey, sniah-multivalue (RULER's generators), oolong and oolong-pairs "
    "(OOLONG-style stand-ins generated from templates, NOT the released OOLONG data), browsecomp "
    "(a BrowseComp-Plus-style stand-in over generated documents), codeqa (LongBench-v2 CodeQA-style "
    "questions over a real code base); --data PATH reads the released files instead")


def _ints(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers separated by commas") from None


def _sizes(text: str) -> list[int]:
    from rlm_studio.bench.tokens import parse_sizes

    try:
        return parse_sizes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("bench", help="run benchmark suites and report scores, cost and failure modes",
                              description="Benchmarks as in the RLM paper: every task is a stored run.")
    sub = p.add_subparsers(dest="bench_command", metavar="ACTION")
    sub.required = True

    run = sub.add_parser("run", help="run a suite", description="Run a benchmark suite; every task becomes a stored run. SUITE is " + SUITE_HELP + ".")
    run.add_argument("suite", help=SUITE_HELP)
    run.add_argument("--sizes", type=_sizes, default=None, metavar="LIST",
                     help="context sizes in tokens, e.g. 8k,16k,32k,...,1m (powers of two; default per family)")
    run.add_argument("--tasks", type=int, default=5, metavar="N", help="tasks per family and size (default 5)")
    run.add_argument("--methods", default="rlm", metavar="LIST",
                     help="comma-separated: rlm, rlm-no-subcalls, base, summary, bm25 (default rlm)")
    run.add_argument("--root-model", default="bundled",
                     help="root model (bundled, script:FILE.json or a litellm string); several, comma-separated, "
                          "sweep over them in one bench (e.g. bundled,bundled-base)")
    run.add_argument("--sub-model", default=None, help="model for sub-calls (default: the root model)")
    run.add_argument("--api-base", default=None, metavar="URL", help="OpenAI-compatible server for both models")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--concurrency", type=int, default=1, metavar="K", help="tasks run at once (default 1)")
    run.add_argument("--executor", default="local", choices=("local", "ray"))
    run.add_argument("--address", default=None, help="Ray cluster address (with --executor ray)")
    run.add_argument("--max-cost", type=float, default=None, metavar="USD",
                     help="refuse to start when the estimate is above this (unless --yes)")
    run.add_argument("--yes", "-y", action="store_true", help="start even above --max-cost or with an unknown price")
    run.add_argument("--data", default=None, metavar="PATH",
                     help="the released data (RULER/S-NIAH jsonl, OOLONG, BrowseComp-Plus, LongBench-v2 jsonl)")
    run.add_argument("--code-root", default=None, metavar="FOLDER",
                     help="codeqa: the code base to ask about (default: the running interpreter's standard library)")
    run.add_argument("--name", default="", help="a name for the bench")
    run.add_argument("--max-depth", type=_ints, default=[1], metavar="N[,N...]",
                     help="recursion depth; several values sweep over them (e.g. 1,2,3)")
    run.add_argument("--subcall-concurrency", type=_ints, default=None, metavar="N[,N...]",
                     help="sub-calls in flight per batch; several values sweep (e.g. 1,8)")
    run.add_argument("--max-iterations", type=int, default=20)
    run.add_argument("--max-subcalls", type=int, default=None)
    run.add_argument("--max-tokens", type=int, default=None, help="per task: input + output tokens")
    run.add_argument("--max-task-cost", type=float, default=None, metavar="USD", help="per task cost limit")
    run.add_argument("--max-time", type=float, default=None, metavar="SECONDS", help="per task wall-time limit")
    run.add_argument("--cell-timeout", type=float, default=120.0, metavar="SECONDS")
    run.add_argument("--max-output-tokens", type=int, default=None, metavar="N",
                     help="cap each model answer at N tokens (default: the model's own; the bundled model 1024)")
    run.add_argument("--model-timeout", type=float, default=None, metavar="SECONDS",
                     help="give up on one model call after this long (default 120)")
    run.add_argument("--output-limit", type=int, default=20_000, metavar="CHARS",
                     help="REPL output shown to the root model per block (default 20000)")
    run.add_argument("--system-prompt", type=Path, default=None, metavar="FILE", help="the RLM's system prompt")
    run.add_argument("--isolation", choices=("auto", "bwrap", "process"), default="auto")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    add_db_option(run)
    run.set_defaults(func=handle_run)

    resume = sub.add_parser("resume", help="run the tasks a stopped bench has not finished")
    resume.add_argument("bench", help="bench id (or its first characters)")
    resume.add_argument("--concurrency", type=int, default=None, metavar="K")
    resume.add_argument("--executor", default="local", choices=("local", "ray"))
    resume.add_argument("--address", default=None)
    resume.add_argument("--json", action="store_true")
    resume.add_argument("--quiet", action="store_true")
    add_db_option(resume)
    resume.set_defaults(func=handle_resume)

    listing = sub.add_parser("list", help="list benches")
    listing.add_argument("--json", action="store_true")
    add_db_option(listing)
    listing.set_defaults(func=handle_list)

    show = sub.add_parser("show", help="the table: method x family (score, cost, tokens, time), per-size accuracy, "
                                       "failure modes")
    show.add_argument("bench")
    show.add_argument("--tasks", action="store_true", help="also list every task with its run id")
    show.add_argument("--json", action="store_true")
    add_db_option(show)
    show.set_defaults(func=handle_show)

    comp = sub.add_parser("compare", help="compare two benches (e.g. two models)")
    comp.add_argument("bench_a")
    comp.add_argument("bench_b")
    comp.add_argument("--json", action="store_true")
    add_db_option(comp)
    comp.set_defaults(func=handle_compare)

    exp = sub.add_parser("export", help="write a bench's report as markdown, CSV or JSON")
    exp.add_argument("bench")
    exp.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    exp.add_argument("-o", "--output", default=None, metavar="FILE", help="default: stdout")
    add_db_option(exp)
    exp.set_defaults(func=handle_export)

    delete = sub.add_parser("delete", help="delete a bench (its runs stay in the run list unless --runs)")
    delete.add_argument("bench")
    delete.add_argument("--runs", action="store_true", help="also delete the bench's runs")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask")
    add_db_option(delete)
    delete.set_defaults(func=handle_delete)

    plot = sub.add_parser("plot", help="accuracy and cost against input size per method (PNG or SVG)")
    plot.add_argument("bench")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png|FILE.svg")
    add_db_option(plot)
    plot.set_defaults(func=handle_plot)


# -- helpers ---------------------------------------------------------------------------------------------
def _db_path(args: argparse.Namespace) -> Path:
    from rlm_studio.storage import StorageError
    from rlm_studio.storage.paths import resolve_db_path

    try:
        return resolve_db_path(getattr(args, "db", None))
    except StorageError as exc:
        raise CliError(str(exc)) from None


def _bench_store(args: argparse.Namespace) -> BenchStore:
    from rlm_studio.bench.store import BenchStore
    from rlm_studio.storage import StorageError

    try:
        return BenchStore(_db_path(args))
    except StorageError as exc:
        raise CliError(str(exc)) from None


def _resolve(store: BenchStore, bench: str) -> dict[str, Any]:
    from rlm_studio.storage import StorageError

    try:
        return store.get_bench(bench)
    except StorageError as exc:
        raise CliError(str(exc)) from None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """A progress bar on stderr with ETA and running cost (one line per task when stderr is no terminal)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last_draw = 0.0
        self.printed: Any = None   # the last result printed as a line (no terminal)

    def __call__(self, progress: Any) -> None:
        if self.quiet:
            return
        snap = progress.snapshot()
        cost = "cost unknown" if snap["cost_unknown"] and not snap["cost_usd"] else (
            f"${snap['cost_usd']:.4f}" + ("+?" if snap["cost_unknown"] else ""))
        score = "-" if snap["mean_score"] is None else f"{100 * snap['mean_score']:.1f}"
        finished = snap["done"] + snap["failed"]
        width = 30
        filled = int(width * finished / snap["total"]) if snap["total"] else width
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{snap['total']}  "
                f"running {snap['running']}  failed {snap['failed']}  score {score}  {cost}  "
                f"elapsed {_duration(snap['elapsed_s'])}  ETA {_duration(snap['eta_s'])}")
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw >= 0.1 or finished == snap["total"]:
                self.last_draw = now
                print("\r" + line, end="", file=sys.stderr, flush=True)
        elif progress.last is not None and self.printed is not progress.last:
            self.printed = r = progress.last
            print(f"{r.task_id} {r.method}{' [' + r.config + ']' if r.config else ''}: "
                  f"score {'-' if r.score is None else f'{r.score:.2f}'} ({r.run_status or r.status})  {line}",
                  file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.tty and not self.quiet:
            print(file=sys.stderr)


def _plan(args: argparse.Namespace) -> Any:
    from rlm_studio.bench.runner import BenchPlan

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    root_models = list(dict.fromkeys(m.strip() for m in args.root_model.split(",") if m.strip()))
    if not root_models:
        raise CliError("--root-model needs a model")
    settings = {"root_model": root_models[0], "sub_model": args.sub_model, "max_iterations": args.max_iterations,
                "max_subcalls": args.max_subcalls, "max_tokens": args.max_tokens, "max_cost_usd": args.max_task_cost,
                "max_wall_s": args.max_time, "cell_timeout_s": args.cell_timeout, "isolation": args.isolation,
                "max_depth": args.max_depth[0], "output_limit_chars": args.output_limit}
    if args.system_prompt is not None:
        try:
            settings["system_prompt"] = args.system_prompt.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{args.system_prompt}: {getattr(exc, 'strerror', None) or exc}") from None
    sweep: dict[str, list[Any]] = {}
    if len(root_models) > 1:   # the sub-model follows each root model unless --sub-model names one
        sweep["root_model"] = root_models
    if len(args.max_depth) > 1:
        sweep["max_depth"] = args.max_depth
    if args.subcall_concurrency:
        if len(args.subcall_concurrency) > 1:
            sweep["subcall_concurrency"] = args.subcall_concurrency
        else:
            settings["batch_concurrency"] = args.subcall_concurrency[0]
    model_settings: dict[str, Any] = {}
    if args.max_output_tokens is not None:
        if args.max_output_tokens < 1:
            raise CliError("--max-output-tokens must be at least 1")
        model_settings["max_output_tokens"] = args.max_output_tokens
    if args.model_timeout is not None:
        if args.model_timeout <= 0:
            raise CliError("--model-timeout must be positive")
        model_settings["timeout_s"] = args.model_timeout
    if args.api_base:
        model_settings["api_bases"] = {s: args.api_base for s in {*root_models, args.sub_model or root_models[0]}}
    options = {"code_root": args.code_root} if args.code_root else {}
    return BenchPlan(suite=args.suite, sizes=args.sizes, tasks=args.tasks, methods=methods, seed=args.seed,
                     settings=settings, sweep=sweep, model_settings=model_settings, data=args.data,
                     options=options, name=args.name, concurrency=args.concurrency)


def _check_models(settings: dict[str, Any], model_settings: dict[str, Any], sweep_roots: Sequence[str] = ()) -> None:
    from rlm_studio.models.registry import ModelSettings, resolve_model
    from rlm_studio.models.scripted import ScriptFileError

    ms = ModelSettings(**model_settings) if model_settings else None
    roots = [settings["root_model"], *sweep_roots]
    for spec in {*roots, *([settings["sub_model"]] if settings.get("sub_model") else [])}:
        try:
            resolve_model(spec, ms)
        except (ScriptFileError, ValueError) as exc:
            raise CliError(str(exc)) from None


async def _run_main(runner: Any, bench_id: str, progress: Any, tasks: Any) -> Any:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGINT, lambda: task.cancel() if task else None)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        return await runner.run(bench_id, progress, tasks)
    except asyncio.CancelledError:
        return None
    except ValueError as exc:  # a task of the bench cannot be rebuilt
        raise CliError(str(exc)) from None


def _execute(args: argparse.Namespace, runner: Any, bench_id: str, tasks: Any = None) -> int:
    progress = runner.progress_for(bench_id)
    bar = ProgressBar(args.quiet or args.json)
    progress.subscribe(bar)
    result = asyncio.run(_run_main(runner, bench_id, progress, tasks))
    bar.end()
    stopped = result is None or result.stopped
    store = runner.bench_store
    bench = store.get_bench(bench_id)
    rows = store.tasks(bench["id"])
    if args.json:
        from rlm_studio.bench.report import by_size, summary

        print_json({"bench_id": bench["id"], "status": bench["status"], "counts": bench["counts"],
                    "summary": summary(rows), "by_size": by_size(rows)})
    else:
        _print_report(store, bench, rows)
    missing = len(store.missing(bench["id"]))
    if result is not None and result.stop_reason:
        print(f"bench {bench['id']} stopped: {result.stop_reason}", file=sys.stderr)
    if stopped or missing:
        print(f"bench {bench['id']} stopped with {missing} of {bench['total']} tasks not done; "
              f"`rlm-studio bench resume {bench['id']}` runs them", file=sys.stderr)
        return 130 if stopped and not (result is not None and result.stop_reason) else 1
    return 0


def _print_report(store: Any, bench: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from rlm_studio.bench.report import render_by_size, render_findings, render_summary

    print(f"bench {bench['id']}  suite {bench['suite']}  {bench['status']}  "
          f"{bench['counts'].get('done', 0)}/{bench['total']} done")
    print()
    print(render_summary(rows))
    print()
    print("accuracy by input size (score 0-100):")
    print(render_by_size(rows))
    findings = store.findings_by_method(bench["id"])
    failed = [r for r in rows if r["run_status"] == "failed"]
    if failed:
        print()
        print(f"{len(failed)} run(s) failed before answering (scored 0), e.g. {failed[0]['task_id']} "
              f"{failed[0]['method']}: {failed[0]['error']}")
    print()
    if findings:
        print("findings (runs with each, per method and model):")
        print(render_findings(findings))
    else:
        print("findings: none")


# -- handlers --------------------------------------------------------------------------------------------
def handle_run(args: argparse.Namespace) -> int:
    from rlm_studio.bench.estimate import estimate
    from rlm_studio.bench.executor import make_executor
    from rlm_studio.bench.runner import BenchRunner, validate_plan
    from rlm_studio.storage import StorageError

    if args.tasks < 1:
        raise CliError("--tasks must be at least 1")
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    plan = _plan(args)
    try:
        validate_plan(plan)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _check_models(plan.settings, plan.model_settings, plan.sweep.get("root_model", []))
    try:
        executor = make_executor(args.executor, args.concurrency, args.address)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        tasks = plan.build_tasks()
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    if not tasks:
        raise CliError("the suite has no tasks")
    try:
        runner = BenchRunner(_db_path(args), executor)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    try:
        bench_id, tasks = runner.create(plan, tasks)
        specs = runner.specs(bench_id, tasks)
        from rlm_studio.models.registry import ModelSettings

        guess = estimate(specs, ModelSettings(**plan.model_settings) if plan.model_settings else None)
        if not args.quiet and not args.json:
            from rlm_studio.bench.suites import STAND_INS, families_of

            for family in families_of(plan.suite):
                if family in STAND_INS and not plan.data:
                    print(f"note: {family} is {STAND_INS[family]}", file=sys.stderr)
            print(f"bench {bench_id}: {len(specs)} tasks ({len(tasks)} tasks x {len(plan.methods)} methods x "
                  f"{len(plan.configs())} settings); estimate: {guess.describe()}", file=sys.stderr)
        if args.max_cost is not None and not args.yes and (not guess.known or guess.cost_usd > args.max_cost):
            runner.bench_store.delete_bench(bench_id)
            why = (f"the estimated cost ${guess.cost_usd:.4f} is above --max-cost ${args.max_cost:.4f}"
                   if guess.known else "the cost cannot be estimated (unknown price)")
            raise CliError(f"not started: {why}; add --yes to start anyway")
        return _execute(args, runner, bench_id, tasks)
    finally:
        runner.close()


def handle_resume(args: argparse.Namespace) -> int:
    from rlm_studio.bench.executor import make_executor
    from rlm_studio.bench.runner import BenchPlan, BenchRunner

    store = _bench_store(args)
    try:
        bench = _resolve(store, args.bench)
    finally:
        store.close()
    plan = BenchPlan.from_dict(bench["settings"])
    concurrency = args.concurrency or int(bench["settings"].get("concurrency") or 1)
    try:
        executor = make_executor(args.executor, concurrency, args.address)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _check_models(plan.settings, plan.model_settings, plan.sweep.get("root_model", []))
    runner = BenchRunner(_db_path(args), executor)
    try:
        if not runner.bench_store.missing(bench["id"]):
            print(f"bench {bench['id']} has nothing left to run", file=sys.stderr)
            return 0
        try:
            tasks = plan.build_tasks()
        except (ValueError, OSError) as exc:
            raise CliError(str(exc)) from None
        return _execute(args, runner, bench["id"], tasks)
    finally:
        runner.close()


def handle_list(args: argparse.Namespace) -> int:
    from rlm_studio.bench.report import table

    store = _bench_store(args)
    try:
        benches = store.list_benches()
    finally:
        store.close()
    if args.json:
        print_json(benches)
        return 0
    if not benches:
        print("no benches yet: `rlm-studio bench run sniah --tasks 2 --sizes 8k` starts one")
        return 0
    lines = []
    for b in benches:
        settings = b["settings"]
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(b["created_at"]))
        score = "-" if b["mean_score"] is None else f"{100 * b['mean_score']:.1f}"
        lines.append([b["id"], created, b["status"], b["suite"], ",".join(settings.get("methods", [])),
                      str(settings.get("settings", {}).get("root_model", "")), f"{b['done'] or 0}/{b['total']}",
                      score, f"${b['cost_usd'] or 0:.4f}"])
    print(table(["ID", "CREATED", "STATUS", "SUITE", "METHODS", "ROOT MODEL", "DONE", "SCORE", "COST"], lines))
    return 0


def handle_show(args: argparse.Namespace) -> int:
    from rlm_studio.bench.report import by_size, summary, table

    store = _bench_store(args)
    try:
        bench = _resolve(store, args.bench)
        rows = store.tasks(bench["id"])
        findings = store.findings_by_method(bench["id"])
        if args.json:
            print_json({"bench": bench, "summary": summary(rows), "by_size": by_size(rows), "findings": findings,
                        "tasks": rows if args.tasks else None})
            return 0
        _print_report(store, bench, rows)
        if args.tasks:
            print()
            lines = [[r["task_id"], r["method"] + (f" [{r['config']}]" if r["config"] else ""), r["status"],
                      "-" if r["score"] is None else f"{r['score']:.2f}", r["run_id"] or "-",
                      (r["answer"] or "").replace("\n", " ")[:40]] for r in rows]
            print(table(["TASK", "METHOD", "STATUS", "SCORE", "RUN", "ANSWER"], lines))
    finally:
        store.close()
    return 0


def handle_compare(args: argparse.Namespace) -> int:
    from rlm_studio.bench.report import compare, render_compare

    store = _bench_store(args)
    try:
        a, b = _resolve(store, args.bench_a), _resolve(store, args.bench_b)
        lines = compare(store.tasks(a["id"]), store.tasks(b["id"]))
    finally:
        store.close()
    if args.json:
        print_json({"a": a["id"], "b": b["id"], "lines": lines})
        return 0
    print(f"A = {a['id']} ({a['suite']}, {a['settings'].get('settings', {}).get('root_model', '')})")
    print(f"B = {b['id']} ({b['suite']}, {b['settings'].get('settings', {}).get('root_model', '')})")
    print(render_compare(lines))
    return 0


def handle_export(args: argparse.Namespace) -> int:
    from rlm_studio.bench.report import export

    store = _bench_store(args)
    try:
        bench = _resolve(store, args.bench)
        text = export(bench, store.tasks(bench["id"]), store.findings_by_method(bench["id"]), args.format)
    finally:
        store.close()
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.output}: {exc.strerror or exc}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def handle_plot(args: argparse.Namespace) -> int:
    from rlm_studio.bench.plot import plot_bench

    suffix = Path(args.output).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise CliError("the plot file must end in .png or .svg")
    store = _bench_store(args)
    try:
        bench = _resolve(store, args.bench)
        rows = store.tasks(bench["id"])
    finally:
        store.close()
    try:
        plot_bench(bench, rows, Path(args.output))
    except OSError as exc:
        raise CliError(f"{args.output}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def handle_delete(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = _bench_store(args)
    try:
        bench = _resolve(store, args.bench)
        run_ids = [r["run_id"] for r in store.tasks(bench["id"]) if r["run_id"]]
        what = f"bench {bench['id']} ({bench['suite']}, {bench['total']} tasks)" + (
            f" and its {len(run_ids)} runs" if args.runs else "")
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError(f"not deleting {what} without --yes (no terminal to ask on)")
            if input(f"Delete {what}? [y/N] ").strip().lower() not in ("y", "yes"):
                print("nothing deleted", file=sys.stderr)
                return 1
        if args.runs:
            from .common import open_store

            runs = open_store(args)
            try:
                for run_id in run_ids:
                    try:
                        runs.delete_run(run_id)
                    except StorageError:
                        pass  # already deleted
            finally:
                runs.close()
        store.delete_bench(bench["id"])
    finally:
        store.close()
    print(f"deleted {what}", file=sys.stderr)
    return 0
