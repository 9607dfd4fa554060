"""One bench running from the app: an asyncio task on the Qt loop (qasync); task generation, the database and model
checks go to threads, so the window keeps responding. Stop cancels it (finished tasks are kept); resume runs the rest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from rlm_studio.bench.progress import BenchProgress

if TYPE_CHECKING:        # imported when a bench starts: the runner pulls in the storage layer (~0.5 s)
    from rlm_studio.bench.runner import BenchPlan, BenchRunner


def _check_models(plan: BenchPlan) -> None:
    """A model that cannot be resolved (a bad script file, an unknown provider) is a ValueError before anything runs."""
    from rlm_studio.models.registry import ModelSettings, resolve_model
    from rlm_studio.models.scripted import ScriptFileError

    ms = ModelSettings(**plan.model_settings) if plan.model_settings else None
    root = plan.settings.get("root_model") or "bundled"
    for spec in {root, plan.settings.get("sub_model") or root}:
        try:
            resolve_model(spec, ms)
        except ScriptFileError as exc:
            raise ValueError(str(exc)) from None


class BenchJob(QObject):
    """Runs one bench at a time. Signals are emitted on the UI thread (the runner calls back on the loop's thread)."""

    started = Signal(str)                 # bench id
    progressed = Signal(object)           # the BenchProgress
    ended = Signal(str, str)              # bench id, "completed" | "stopped" | "failed: reason"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task: asyncio.Task[None] | None = None
        self.bench_id: str | None = None
        self.progress: BenchProgress | None = None
        self.executor_name = "local"
        self.address: str | None = None
        self._ended_sent = False

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start_new(self, db_path: Path, plan: BenchPlan) -> None:
        self._launch(self._run(db_path, plan, None))

    def resume(self, db_path: Path, bench_id: str) -> None:
        self._launch(self._run(db_path, None, bench_id))

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _launch(self, coro: Any) -> None:
        if self.running:
            coro.close()
            raise RuntimeError("a bench is already running")
        self._ended_sent = False
        self.task = asyncio.ensure_future(coro)
        self.task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """A task cancelled before its first step never ran its `finally`: say it ended all the same."""
        if not self._ended_sent:
            self._ended_sent = True
            self.ended.emit(self.bench_id or "", "stopped" if task.cancelled() else "failed: the bench ended")

    async def _create(self, runner: BenchRunner, plan: BenchPlan, tasks: Any) -> tuple[str, Any]:
        """Store the bench; a Stop while it is being stored waits for it, then marks it stopped (not left running)."""
        creating = asyncio.ensure_future(asyncio.to_thread(runner.create, plan, tasks))
        try:
            return await asyncio.shield(creating)
        except asyncio.CancelledError:
            bench_id, _ = await creating
            self.bench_id = bench_id
            await asyncio.to_thread(runner.bench_store.set_status, bench_id, "stopped")
            raise

    async def _run(self, db_path: Path, plan: BenchPlan | None, bench_id: str | None) -> None:
        from rlm_studio.bench.executor import make_executor
        from rlm_studio.bench.runner import BenchRunner, validate_plan

        runner: BenchRunner | None = None
        self.bench_id, self.progress = bench_id, None
        status = "failed"
        try:
            if plan is not None:
                validate_plan(plan)
                await asyncio.to_thread(_check_models, plan)
            runner = await asyncio.to_thread(BenchRunner, db_path, None)
            tasks = None
            if plan is not None:
                tasks = await asyncio.to_thread(plan.build_tasks)       # generating large tasks takes seconds
                the_id, tasks = await self._create(runner, plan, tasks)
                concurrency = plan.concurrency
            else:
                bench = await asyncio.to_thread(runner.bench_store.get_bench, bench_id or "")
                the_id = str(bench["id"])
                concurrency = int(bench["settings"].get("concurrency") or 1)
            runner.executor = make_executor(self.executor_name, concurrency, self.address)
            self.bench_id = the_id
            progress = await asyncio.to_thread(runner.progress_for, the_id)
            self.progress = progress
            progress.subscribe(self.progressed.emit)
            self.started.emit(the_id)
            self.progressed.emit(progress)
            try:
                await runner.run(the_id, progress, tasks)
            except asyncio.CancelledError:
                status = "stopped"
                return
            status = f"stopped: {progress.stop_reason}" if progress.stop_reason else (
                "completed" if not progress.stopped else "stopped")
        except asyncio.CancelledError:        # stopped while still preparing
            status = "stopped"
        except Exception as exc:              # bad input, an unreadable database: one line, no traceback
            status = f"failed: {exc}"
        finally:
            if runner is not None:
                runner.close()
            self._ended_sent = True
            self.ended.emit(self.bench_id or "", status)
