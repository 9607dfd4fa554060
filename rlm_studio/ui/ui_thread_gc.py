"""Python's cyclic garbage collection on the UI thread only.

Left automatic, a collection runs in whichever thread happens to allocate: a worker thread (loading a
run, detecting findings, importing litellm) can then free Qt objects that live in the UI thread (qasync's
timer and worker objects sit in reference cycles), and Qt crashes in its timer dispatch. So automatic
collection is off and a UI-thread timer collects with the same generation thresholds (as pyqtgraph's
GarbageCollector does)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500
YOUNG_EVERY = 4   # the youngest generation is collected at least every YOUNG_EVERY ticks (cheap)


class UiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.ticks = 0
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first; the youngest also
        every few ticks (allocations freed again keep its count low while cycles wait in it)."""
        self.ticks += 1
        count0 = gc.get_count()[0]
        if count0 > self.threshold[0] or (count0 > 0 and self.ticks % YOUNG_EVERY == 0):
            gc.collect(0)
            _, count1, count2 = gc.get_count()
            if count1 > self.threshold[1]:
                gc.collect(1)
                if count2 > self.threshold[2]:
                    gc.collect(2)


def collect_on_ui_thread(app: QCoreApplication) -> UiThreadGarbageCollector:
    """Install the collector on the application (once; later calls return the same one)."""
    existing = app.findChild(UiThreadGarbageCollector)
    if isinstance(existing, UiThreadGarbageCollector):
        return existing
    return UiThreadGarbageCollector(app)
