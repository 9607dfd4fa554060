"""The Qt side of the open run: its plain-Python observer callbacks as one Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from rlm_studio.analysis.open_run import Change, OpenRun


class OpenRunSignals(QObject):
    changed = Signal(str)  # a Change: "reset", "events", "findings", "links", "isolation", "warnings", "state"

    def __init__(self, run: OpenRun, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = run
        run.observe(self._relay)   # held weakly by the run

    def _relay(self, change: Change) -> None:
        self.changed.emit(change)
