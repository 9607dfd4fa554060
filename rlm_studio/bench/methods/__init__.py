"""Methods a bench compares (as in the paper): rlm, rlm-no-subcalls, base, summary, bm25.

Each is `async run(task, settings, *, run_id, sinks, model_settings) -> RunResult` and every one
emits a normal run's events (engine.events), so each task of each method is a stored run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.settings import RunResult, RunSettings

from ..task import Task

Method = Callable[..., Awaitable[RunResult]]
METHOD_NAMES = ("rlm", "rlm-no-subcalls", "base", "summary", "bm25")


def get_method(name: str) -> Method:
    """The method's run function (imported on demand)."""
    if name == "rlm":
        from .rlm import run_rlm
        return run_rlm
    if name == "rlm-no-subcalls":
        from .rlm import run_rlm_no_subcalls
        return run_rlm_no_subcalls
    if name == "base":
        from .base import run_base
        return run_base
    if name == "summary":
        from .summary import run_summary
        return run_summary
    if name == "bm25":
        from .bm25 import run_bm25
        return run_bm25
    raise ValueError(f"unknown method {name!r} ({', '.join(METHOD_NAMES)})")


async def run_method(name: str, task: Task, settings: RunSettings, *, run_id: str, sinks: list[Sink],
                     model_settings: Any = None) -> RunResult:
    return await get_method(name)(task, settings, run_id=run_id, sinks=sinks, model_settings=model_settings)
