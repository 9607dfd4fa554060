"""Python's cyclic garbage collection on the UI thread only, and full collections that stay short.

Left automatic, a collection runs in whichever thread happens to allocate: a worker thread (loading a
run, detecting findings, importing litellm) can then free Qt objects that live in the UI thread (qasync's
timer and worker objects sit in reference cycles), and Qt crashes in its timer dispatch. So automatic
collection is off and a UI-thread timer collects with the same generation thresholds (as pyqtgraph's
GarbageCollector does).

A full collection walks every object alive: with a large run open (and litellm imported) that is a UI stall
of 50-200 ms each time. So the survivors of a full collection are frozen (`gc.freeze`: moved where no
collection looks) and the next full collection walks only what was made since. Cycles among frozen objects
are collected by a sweep over everything (unfreeze, collect, freeze), made when the frozen heap has doubled
since the last one, so its cost per object allocated stays constant, as CPython's own rule for full
collections keeps it.

A bulk build on another thread (`engine.gc_paused`: opening a stored run, a writer batch, detecting
findings) makes objects that all stay alive, and a young collection walks every element of a young
container: a 100,000-node run's columns cost one 150-200 ms walk. So no collection runs while a build
does, and what a large build left in the young generation is frozen at once instead of walked.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from rlm_studio.engine.gc_paused import bulk_builds

INTERVAL_MS = 500
YOUNG_EVERY = 4   # the youngest generation is collected at least every YOUNG_EVERY ticks (cheap)
SWEEP_GROWTH = 2.0   # sweep everything when the frozen heap has grown this many times since the last sweep
SWEEP_MIN_OBJECTS = 50_000   # a frozen heap smaller than this is swept at every full collection
FREEZE_AFTER_BUILD = 10_000   # young objects left by a finished bulk build from which they are frozen


class UiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.ticks = 0
        self.full_collections = 0
        self.sweeps = 0
        self.swept_at = 0   # the frozen heap's size right after the last sweep
        self.sweep_min_objects = SWEEP_MIN_OBJECTS
        self.freezes = 0
        self._builds_seen = 0
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first; the youngest also
        every few ticks (allocations freed again keep its count low while cycles wait in it)."""
        self.ticks += 1
        building, finished = bulk_builds()
        if building:   # its objects all stay alive: walking them now would be for nothing
            return
        count0 = gc.get_count()[0]
        if finished != self._builds_seen:
            self._builds_seen = finished
            if count0 > FREEZE_AFTER_BUILD:
                gc.freeze()   # what the build made is never walked by young or full collections
                self.freezes += 1
                return
        if count0 > self.threshold[0] or (count0 > 0 and self.ticks % YOUNG_EVERY == 0):
            gc.collect(0)
            _, count1, count2 = gc.get_count()
            if count1 > self.threshold[1]:
                gc.collect(1)
                if count2 > self.threshold[2]:
                    self.collect_full()

    def collect_full(self) -> None:
        """A full collection of what was made since the last one, its survivors then frozen; a sweep of
        everything instead when the frozen heap has doubled since the last sweep."""
        self.full_collections += 1
        frozen = gc.get_freeze_count()
        if frozen < self.sweep_min_objects or frozen >= self.swept_at * SWEEP_GROWTH:
            self.sweep()
            return
        gc.collect(2)
        gc.freeze()

    def sweep(self) -> None:
        """Collect everything, frozen objects included, and freeze the survivors again."""
        self.sweeps += 1
        gc.unfreeze()
        gc.collect(2)
        gc.freeze()
        self.swept_at = gc.get_freeze_count()


def collect_on_ui_thread(app: QCoreApplication) -> UiThreadGarbageCollector:
    """Install the collector on the application (once; later calls return the same one)."""
    existing = app.findChild(UiThreadGarbageCollector)
    if isinstance(existing, UiThreadGarbageCollector):
        return existing
    return UiThreadGarbageCollector(app)
