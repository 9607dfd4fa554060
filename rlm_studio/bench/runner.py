"""Plan a bench (tasks x methods x sweep points as stored rows), run what is missing, store every result.

Every task is a normal stored run (events through the EventWriter, findings saved, tagged
`bench:<id>`) linked from its bench row. Interrupting keeps what finished; `resume` runs the rest.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlm_studio.engine.events import new_run_id
from rlm_studio.engine.settings import RunSettings

from .executor import Executor, LocalExecutor
from .progress import BenchProgress
from .spec import TaskResult, TaskSpec
from .store import BenchStore
from .suites import build_tasks, families_of
from .task import Task

# sweep axes: option name -> RunSettings field
SWEEP_FIELDS = {"root_model": "root_model", "max_depth": "max_depth", "subcall_concurrency": "batch_concurrency"}


@dataclass
class BenchPlan:
    suite: str
    sizes: list[int] | None = None              # None: each family's default sizes
    tasks: int = 5                               # per family and size
    methods: list[str] = field(default_factory=lambda: ["rlm"])
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)          # RunSettings fields
    sweep: dict[str, list[Any]] = field(default_factory=dict)       # e.g. {"max_depth": [1, 2, 3]}
    model_settings: dict[str, Any] = field(default_factory=dict)    # ModelSettings fields
    data: str | None = None
    options: dict[str, Any] = field(default_factory=dict)           # family options (e.g. codeqa root folder)
    name: str = ""
    concurrency: int = 1                         # tasks at once (resume uses it again)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchPlan:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def configs(self) -> list[tuple[str, dict[str, Any]]]:
        """(label, settings overrides) per sweep point; one ("", {}) without a sweep."""
        axes = [(name, values) for name, values in self.sweep.items() if values]
        if not axes:
            return [("", {})]
        points = []
        for combo in itertools.product(*(values for _, values in axes)):
            label = ",".join(f"{name}={value}" for (name, _), value in zip(axes, combo))
            points.append((label, {SWEEP_FIELDS.get(name, name): value for (name, _), value in zip(axes, combo)}))
        return points

    def build_tasks(self) -> list[Task]:
        tasks: list[Task] = []
        for family in families_of(self.suite):
            tasks.extend(build_tasks(family, self.sizes, self.tasks, self.seed, data=self.data, options=self.options))
        return tasks


def validate_plan(plan: BenchPlan) -> None:
    """Raise ValueError for a plan that cannot run (before anything is stored)."""
    from .methods import METHOD_NAMES

    if plan.data and len(families_of(plan.suite)) > 1:
        raise ValueError("--data reads one family's files: give one family as the suite (e.g. sniah or codeqa)")
    if not plan.methods:
        raise ValueError("give at least one method")
    for method in plan.methods:
        if method not in METHOD_NAMES:
            raise ValueError(f"unknown method {method!r} ({', '.join(METHOD_NAMES)})")
    for name in plan.sweep:
        if name not in SWEEP_FIELDS:
            raise ValueError(f"cannot sweep over {name!r} ({', '.join(SWEEP_FIELDS)})")
    for _, overrides in plan.configs():
        RunSettings.from_dict({**plan.settings, **overrides}).validate()


class BenchRunner:
    """Runs benches stored in the database at `db_path` with an executor (local by default)."""

    def __init__(self, db_path: str | os.PathLike[str], executor: Executor | None = None,
                 max_consecutive_failures: int = 3):
        self.db_path = Path(db_path)
        self.max_consecutive_failures = max_consecutive_failures   # stop when the model is unreachable
        self.executor = executor or LocalExecutor(1)
        self.bench_store = BenchStore(self.db_path)

    def close(self) -> None:
        self.bench_store.close()

    # -- planning -------------------------------------------------------------------------------------------
    def create(self, plan: BenchPlan, tasks: list[Task] | None = None) -> tuple[str, list[Task]]:
        """Store the bench and one pending row per task x method x sweep point; (bench id, tasks)."""
        validate_plan(plan)
        tasks = plan.build_tasks() if tasks is None else tasks
        if not tasks:
            raise ValueError("the suite has no tasks")
        rows = [{"task_id": t.id, "method": m, "config": label, "family": t.family, "size_tokens": t.size_tokens,
                 "expected": t.answers}
                for (label, _), m, t in itertools.product(plan.configs(), plan.methods, tasks)]
        bench_id = self.bench_store.create_bench(plan.suite, plan.to_dict(), rows, name=plan.name)
        return bench_id, tasks

    def specs(self, bench_id: str, tasks: list[Task] | None = None) -> list[TaskSpec]:
        """The missing rows of a bench as specs (tasks rebuilt from the stored plan unless given)."""
        bench = self.bench_store.get_bench(bench_id)
        plan = BenchPlan.from_dict(bench["settings"])
        missing = self.bench_store.missing(bench["id"])
        if not missing:
            return []
        by_id = {t.id: t for t in (tasks if tasks is not None else plan.build_tasks())}
        overrides = dict(plan.configs())
        specs = []
        for row in missing:
            task = by_id.get(row["task_id"])
            if task is None:
                raise ValueError(f"task {row['task_id']} of bench {bench['id']} cannot be rebuilt "
                                 "(its data file or generator changed)")
            settings = RunSettings.from_dict({**plan.settings, **overrides.get(row["config"], {})}).to_dict()
            specs.append(TaskSpec(bench_id=bench["id"], task=task, method=row["method"], config=row["config"],
                                  settings=settings, run_id=new_run_id(), model_settings=plan.model_settings))
        return specs

    def progress_for(self, bench_id: str) -> BenchProgress:
        rows = self.bench_store.tasks(bench_id)
        progress = BenchProgress(total=len(rows))
        done = [r for r in rows if r["status"] == "done"]
        progress.add_previous(len(done), sum(r["cost_usd"] or 0.0 for r in done),
                              any(r["cost_unknown"] for r in done),
                              sum(r["score"] or 0.0 for r in done), len(done))
        return progress

    # -- running -------------------------------------------------------------------------------------------
    async def run(self, bench_id: str, progress: BenchProgress | None = None,
                  tasks: list[Task] | None = None) -> BenchProgress:
        """Run the bench's missing rows. On cancellation the finished ones are kept and the bench is 'stopped'."""
        from rlm_studio.analysis.findings import detect_findings  # noqa: F401  (import before timing)
        from rlm_studio.storage import Store

        bench_id = self.bench_store.resolve_bench_id(bench_id)
        specs = await asyncio.to_thread(self.specs, bench_id, tasks)  # generating tasks can take seconds
        progress = progress or self.progress_for(bench_id)
        store = await asyncio.to_thread(Store.open, self.db_path)
        writer = store.writer()
        pending: set[asyncio.Task[None]] = set()
        self.bench_store.set_status(bench_id, "running")

        def stored(result: TaskResult) -> None:
            """In a thread: wait for the run's events to be committed, then save findings, tag, record the row."""
            try:
                writer.flush()
                if store.run_exists(result.run_id):
                    store.save_findings(result.run_id, result.findings)
                    store.add_tag(result.run_id, f"bench:{bench_id}")
                    row = result.row()
                else:
                    row = {**result.row(), "run_id": None}
                self.bench_store.record_result(bench_id, row)
            except Exception as exc:  # storing failed: the row stays missing, so resume runs it again
                result.status, result.error = "failed", f"could not store the result: {exc}"

        streak = [0]

        async def finish(result: TaskResult) -> None:
            await asyncio.to_thread(stored, result)
            progress.task_finished(result)      # listeners are told on the event loop's thread
            streak[0] = streak[0] + 1 if result.status == "failed" else 0
            if self.max_consecutive_failures and streak[0] >= self.max_consecutive_failures and not job.done():
                progress.stop_reason = (f"the last {streak[0]} tasks failed without a model's answer "
                                        f"({result.task_id} {result.method}: {result.error})")
                job.cancel()

        def on_result(result: TaskResult) -> None:
            progress.task_stopped_running(result.key)
            storing = asyncio.ensure_future(finish(result))
            pending.add(storing)
            storing.add_done_callback(pending.discard)

        finished = False
        job = asyncio.ensure_future(self.executor.run(specs, on_result, writer.append, progress.task_started))
        try:
            try:
                await job
                finished = True
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if progress.stop_reason is None or (current is not None and current.cancelling()):
                    raise           # cancelled from outside (Ctrl+C, the app's Stop)
                # else: stopped by the failure streak; the bench is 'stopped' and says why
        finally:
            if not job.done():
                job.cancel()
                await asyncio.gather(job, return_exceptions=True)
            if pending:
                await asyncio.shield(asyncio.gather(*pending, return_exceptions=True))
            writer.close()
            store.close()
            complete = finished and not self.bench_store.missing(bench_id)
            progress.stopped = not finished
            self.bench_store.set_status(bench_id, "completed" if complete else "stopped")
        return progress
