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


def test_a_full_collection_walks_only_what_is_new_and_a_sweep_frees_old_cycles(qapp):
    """Survivors of a full collection are frozen (later full collections do not walk them: a large open
    run costs them nothing); a cycle among frozen objects is freed by the next sweep over everything."""
    collector = collect_on_ui_thread(qapp)
    collector.sweep()
    min_objects, collector.sweep_min_objects = collector.sweep_min_objects, 0   # this test's heap is small
    try:
        _frozen_then_swept(collector)
    finally:
        collector.sweep_min_objects = min_objects


def _frozen_then_swept(collector: UiThreadGarbageCollector) -> None:
    freed: list[bool] = []
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    ref = weakref.ref(a, lambda _ref: freed.append(True))
    assert any(o is a for o in gc.get_objects())
    collector.collect_full()
    assert not any(o is a for o in gc.get_objects())   # frozen: no collection walks it any more
    del a, b
    collector.swept_at = gc.get_freeze_count()   # the frozen heap has not grown since: no sweep is due
    sweeps = collector.sweeps
    collector.collect_full()
    assert collector.sweeps == sweeps and ref() is not None and freed == []
    collector.swept_at = 1   # as if the frozen heap had doubled since the last sweep
    collector.collect_full()
    assert collector.sweeps == sweeps + 1 and ref() is None and freed == [True]


def test_no_collection_during_a_bulk_build_and_what_it_made_is_frozen_after_it(qapp):
    """While another thread builds (gc_paused), the UI thread's collector holds off; the many objects a
    finished build left are frozen, not walked."""
    from rlm_studio.engine.gc_paused import gc_paused
    from rlm_studio.ui.ui_thread_gc import FREEZE_AFTER_BUILD

    collector = collect_on_ui_thread(qapp)
    collector.sweep()
    built: list[list[_Node]] = []
    inside, release = threading.Event(), threading.Event()

    def build() -> None:
        with gc_paused():
            built.append([_Node() for _ in range(FREEZE_AFTER_BUILD * 2)])
            inside.set()
            release.wait()

    worker = threading.Thread(target=build, name="building-worker")
    worker.start()
    try:
        assert inside.wait(10)
        young = gc.get_count()[0]
        assert young > FREEZE_AFTER_BUILD
        collector.check()
        assert gc.get_count()[0] >= young   # nothing was collected meanwhile
    finally:
        release.set()
        worker.join()
    freezes = collector.freezes
    collector.check()
    assert collector.freezes == freezes + 1
    sample = built[0][len(built[0]) // 2]
    assert not any(o is sample for o in gc.get_objects())   # frozen: no collection walks the build's objects
