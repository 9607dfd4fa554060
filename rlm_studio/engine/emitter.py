"""Stamps events with their run, position and time, and hands each to every sink in order."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from .events import Event

log = logging.getLogger(__name__)
Sink = Callable[[Event], object]  # a sink's return value, if any, is ignored


class EventEmitter:
    """One per root run; child runs share it, so the whole tree is one ordered stream.

    `clock`, when given, stamps each event's `ts` as it is emitted (tests build exact streams with a fake
    clock); otherwise an event keeps the time it was created at.
    """

    def __init__(self, run_id: str, sinks: list[Sink] | None = None, *, clock: Callable[[], float] | None = None):
        self.run_id = run_id
        self._clock = clock
        self._sinks: list[Sink] = list(sinks or [])
        self._seq = itertools.count(1)
        self._node = itertools.count(1)

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def new_node_id(self) -> str:
        return f"n{next(self._node)}"

    def emit(self, event: Event) -> Event:
        event.run_id = self.run_id
        event.seq = next(self._seq)
        if self._clock is not None:
            event.ts = self._clock()
        for sink in list(self._sinks):
            try:
                sink(event)
            except Exception:  # a broken consumer must not break the run (or the other consumers)
                log.exception("event sink %r failed on %s", sink, event.kind)
        return event
