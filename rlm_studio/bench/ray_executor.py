"""`--executor ray`: bench tasks run as Ray tasks on a cluster (or a local Ray instance); their events come home.

Each Ray task calls the same `execute_task` the local executor runs, on the node Ray picks, so the RLM and its
sandbox workers run there (RLM Studio and bubblewrap must be installed on every node). The run's events are
collected in memory on that node and shipped back with the TaskResult; here they are fed, in order, into the same
sink the local executor writes to, so the stored run is the one a local run would have stored. Ray is imported
only when a bench uses it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.events import Event

from .executor import Executor, OnResult, OnStart
from .spec import TaskResult, TaskSpec

_joined: list[str | None] = []     # the address this process's ray.init joined (empty: not joined by us)
MISSING_RAY = "the ray executor needs Ray: pip install 'rlm-studio[ray]'"


def ray_installed() -> bool:
    if "ray" in sys.modules:
        return sys.modules["ray"] is not None
    return importlib.util.find_spec("ray") is not None


def run_spec_on_node(spec: TaskSpec) -> tuple[TaskResult, list[Event]]:
    """The body of a Ray task: run the spec here with an in-memory sink; (result, its stored events in order)."""
    from .execute import execute_task

    events: list[Event] = []

    def keep(event: Event) -> None:
        if not event.ephemeral:        # stream deltas are for a live view; the store drops them anyway
            events.append(event)

    result = asyncio.run(execute_task(spec, keep))
    return result, events


def _failed(spec: TaskSpec, error: str) -> TaskResult:
    return TaskResult(task_id=spec.task.id, method=spec.method, config=spec.config, run_id=spec.run_id,
                      status="failed", score=None, answer=None, error=error)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


class RayExecutor(Executor):
    """Runs at most `concurrency` Ray tasks at once on the cluster at `address` (None: a local Ray instance)."""

    name = "ray"

    def __init__(self, concurrency: int = 1, address: str | None = None, num_cpus_per_task: float = 1.0):
        super().__init__(concurrency)
        if not ray_installed():
            raise ValueError(MISSING_RAY)
        self.address = address
        self.num_cpus_per_task = num_cpus_per_task
        self._remote: Any = None

    def connect(self) -> None:
        """Join the cluster (or start a local instance) unless this process already did; blocking."""
        import ray

        if ray.is_initialized():
            if not _joined or _joined[0] == self.address:
                return                  # joined by us at this address, or by the caller (a test, a notebook)
            ray.shutdown()              # the app's user chose another cluster
        _joined[:] = []
        try:
            if self.address and self.address.startswith("ray://"):
                ray.init(address=self.address)          # Ray Client takes few options
            elif self.address:
                ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
        except ModuleNotFoundError as exc:
            raise ValueError(f"ray:// addresses need Ray Client ({exc.name} is missing): "
                             "pip install 'ray[client]'") from None
        except Exception as exc:  # an unreachable cluster is a one-line error, not a traceback
            where = self.address or "a local instance"
            raise ValueError(f"cannot connect to the Ray cluster at {where}: {_one_line(exc)}") from None
        _joined[:] = [self.address]

    def _task_function(self) -> Any:
        import ray

        if self._remote is None:
            self._remote = ray.remote(num_cpus=self.num_cpus_per_task, max_retries=0)(run_spec_on_node)
        return self._remote

    async def run(self, specs: Sequence[TaskSpec], on_result: OnResult, sink: Sink | None = None,
                  on_start: OnStart | None = None) -> None:
        import ray

        await asyncio.to_thread(self.connect)     # connecting can take seconds: not on the app's loop
        remote = self._task_function()
        queue = list(reversed(specs))
        in_flight: dict[asyncio.Future[Any], tuple[TaskSpec, Any]] = {}

        def submit() -> None:
            while queue and len(in_flight) < self.concurrency:
                spec = queue.pop()
                if on_start is not None:
                    on_start(spec)
                ref = remote.remote(spec)
                in_flight[asyncio.wrap_future(ref.future())] = (spec, ref)

        try:
            submit()
            while in_flight:
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    spec, _ref = in_flight.pop(future)
                    try:
                        result, events = future.result()
                    except Exception as exc:   # the Ray task died (a lost node, a worker crash): run it again later
                        on_result(_failed(spec, f"ray: {_one_line(exc)}"))
                        continue
                    if sink is not None:
                        for event in events:
                            sink(event)
                    on_result(result)
                submit()
        finally:
            for future, (_spec, ref) in in_flight.items():   # cancelled: stop the tasks still running
                future.cancel()
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished or its node is gone
                    pass
