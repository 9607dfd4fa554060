"""The "Analysis" tab of the open run: failure-mode badges above the charts (widgets from failure_badges
and charts_view); filled only when the tab is looked at, so opening a big run stays fast."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from .charts_view import ChartsView
from .failure_badges import FailureList


class AnalysisTab(QWidget):
    node_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.failures = FailureList()
        self.charts = ChartsView()
        self.note = QLabel("<i>Open or run something to see its failure modes and charts.</i>")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.failures)
        splitter.addWidget(self.charts)
        splitter.setSizes([160, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)
        self.failures.nodeActivated.connect(self.node_activated)
        self.charts.node_activated.connect(self.node_activated)
        self._events: list[Any] = []
        self._findings: list[Any] | None = None
        self._shown_for: object | None = None

    def set_events(self, events: list[Any], findings: list[Any] | None = None) -> None:
        """The run to analyse (applied on the next `refresh`); `findings`: its stored failure modes
        (None: detect them when shown)."""
        self._events = events
        self._findings = findings
        self._shown_for = None

    def set_findings(self, findings: list[Any]) -> None:
        """The open run's failure modes, as stored (shown instead of detecting them again)."""
        self._findings = findings
        self._shown_for = None

    def refresh(self) -> None:
        if self._shown_for is self._events:
            return
        self._shown_for = self._events
        if not self._events:
            self.note.setText("<i>Open or run something to see its failure modes and charts.</i>")
            return
        if self._findings is not None:
            self.failures.set_findings(self._findings)
        else:
            self.failures.set_events(self._events)
        self.charts.set_events(self._events)
        count = len(self.failures.findings)
        self.note.setText(f"{count} possible failure mode(s) found; click one to see its nodes in the run."
                          if count else "No failure modes found in this run.")
