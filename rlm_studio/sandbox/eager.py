"""Run a coroutine eagerly: up to its first real suspension in the caller, then as a Task.

A sub-call answered without waiting (a scripted model, a cached answer) then costs no extra trip
through the event loop; Python 3.12's eager task factory does the same, 3.11 has none.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine
from typing import Any


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], first: Any):
    """Hand the future `coro` first yielded to the Task, then keep driving `coro` as the Task would."""
    yielded = first
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # cancellation and errors go into the coroutine where it waits
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> asyncio.Task | None:
    """Run `coro` now; None if it finished without suspending, else the Task that finishes it."""
    try:
        first = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_resume(coro, first))
