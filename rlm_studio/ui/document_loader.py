"""Loads documents in a worker thread, reporting progress to the Qt thread and honouring Cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class DocumentLoadJob(QObject):
    """Runs `load(progress=, cancel=)` on a daemon thread; signals arrive on the Qt thread (queued)."""

    progress = Signal(object, object)  # done, total (bytes; may exceed 2**31)
    loaded = Signal(object)          # whatever `load` returned
    failed = Signal(str)             # a message for the user
    cancelled = Signal()

    def __init__(self, load: Callable[..., Any], description: str, parent: QObject | None = None):
        super().__init__(parent)
        self._load = load
        self.description = description
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_report = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="rlm-studio-load", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_report > 0.05:  # at most ~20 updates a second
            self._last_report = now
            self.progress.emit(done, total)

    def _work(self) -> None:
        from rlm_studio.documents import DocumentError, LoadCancelled

        try:
            result = self._load(progress=self._report, cancel=self._cancel.is_set)
        except LoadCancelled:
            self.cancelled.emit()
        except DocumentError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit(f"Not enough memory to load {self.description}.")
        except Exception as exc:  # a loader bug must not take the window down
            self.failed.emit(f"Could not load {self.description}: {type(exc).__name__}: {exc}")
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.loaded.emit(result)
