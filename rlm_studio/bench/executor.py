"""Executors run a list of TaskSpecs with bounded concurrency and report each result through a callback.

`LocalExecutor` runs them as asyncio tasks in this process. A remote executor (Ray) implements the
same `run()`: it must deliver every run's events to `sink` (in order per run) and each TaskResult to
`on_result` on the calling event loop's thread.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from rlm_studio.engine.emitter import Sink

from .execute import execute_task
from .spec import TaskResult, TaskSpec

OnResult = Callable[[TaskResult], None]
OnStart = Callable[[TaskSpec], None]


class Executor(ABC):
    name = "executor"

    def __init__(self, concurrency: int = 1):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency

    @abstractmethod
    async def run(self, specs: Sequence[TaskSpec], on_result: OnResult, sink: Sink | None = None,
                  on_start: OnStart | None = None) -> None:
        """Run every spec; return when all are done. Cancelling the awaiting task stops the ones running
        (their runs end as cancelled and report no result) and starts no more."""


class LocalExecutor(Executor):
    name = "local"

    async def run(self, specs: Sequence[TaskSpec], on_result: OnResult, sink: Sink | None = None,
                  on_start: OnStart | None = None) -> None:
        queue: asyncio.Queue[TaskSpec] = asyncio.Queue()
        for spec in specs:
            queue.put_nowait(spec)

        async def worker() -> None:
            while True:
                try:
                    spec = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if on_start is not None:
                    on_start(spec)
                on_result(await execute_task(spec, sink))

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, max(1, len(specs))))]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)


def make_executor(name: str, concurrency: int, address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(concurrency)
    if name == "ray":
        try:
            from .ray_executor import RayExecutor  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ValueError("the ray executor is not available in this build") from None
        return RayExecutor(concurrency, address=address)  # type: ignore[no-any-return,unused-ignore]
    raise ValueError(f"unknown executor {name!r} (local or ray)")
