"""Run a coroutine eagerly: up to its first real suspension in the caller, then as a Task.

A sub-call answered without waiting (a scripted model, a cached answer) then costs no extra trip
through the event loop; Python 3.12's eager task factory does the same, 3.11 has none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


class _Resumed(Coroutine[Any, Any, Any]):
    """`coro`, already started, as the Task sees it: the first send hands over the future `coro` yielded;
    everything after (sends, and a cancellation even before the Task's first step) goes into `coro`."""

    __slots__ = ("_coro", "_first", "_started")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any):
        self._coro = coro
        self._first = first
        self._started = False

    def send(self, value: Any) -> Any:
        if not self._started:
            self._started = True
            return self._first
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._started = True
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        raise TypeError("a resumed coroutine is driven by its Task only")


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
    """Run `coro` now; None if it finished without suspending, else the Task that finishes it."""
    try:
        first = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_Resumed(coro, first))
