"""Cyclic garbage is collected by the UI thread's timer, never by whichever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from rlm_studio.ui.ui_thread_gc import UiThreadGarbageCollector, collect_on_ui_thread


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_cycles_are_freed_on_the_ui_thread(qapp, qtbot):
    collector = collect_on_ui_thread(qapp)
    assert isinstance(collector, UiThreadGarbageCollector) and collect_on_ui_thread(qapp) is collector
    assert not gc.isenabled()
    freed_on: list[str] = []

    def make_cycle() -> weakref.ref:
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        return weakref.ref(a, lambda _ref: freed_on.append(threading.current_thread().name))

    ref = make_cycle()
    worker = threading.Thread(target=lambda: [_Node() for _ in range(50_000)], name="allocating-worker")
    worker.start()   # a worker thread allocating far past the thresholds does not collect
    worker.join()
    assert ref() is not None and freed_on == []
    qtbot.waitUntil(lambda: bool(freed_on), timeout=10_000)
    assert freed_on == [threading.main_thread().name]
