"""The "Analysis" tab of the open run: its findings (failure-mode badges) above the charts. It observes
the window's OpenRun and redraws only while it is looked at, so opening a big run stays fast."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from rlm_studio.analysis.open_run import OpenRun

from .charts_view import ChartsView
from .failure_badges import FindingsList
from .open_run_signals import OpenRunSignals

EMPTY_NOTE = "<i>Open or run something to see its findings and charts.</i>"
LIVE_REDRAW_MS = 500   # while a run goes and the tab is shown, the charts follow it this often


class AnalysisTab(QWidget):
    node_activated = Signal(str)

    def __init__(self, run: OpenRun | None = None, signals: OpenRunSignals | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run if run is not None else OpenRun()
        self.run_signals = signals if signals is not None else OpenRunSignals(self.run, self)
        self.findings = FindingsList()
        self.charts = ChartsView()
        self.note = QLabel(EMPTY_NOTE)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.findings)
        splitter.addWidget(self.charts)
        splitter.setSizes([160, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)
        self.findings.node_activated.connect(self.node_activated)
        self.charts.node_activated.connect(self.node_activated)
        self._stale = True
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(LIVE_REDRAW_MS)
        self._redraw.timeout.connect(self.refresh)
        self.run_signals.changed.connect(self._run_changed)

    def _run_changed(self, change: str) -> None:
        if change in ("links", "isolation", "warnings"):
            return
        self._stale = True
        if self.isVisible():
            if change == "events":
                if not self._redraw.isActive():
                    self._redraw.start()
            else:
                self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Show the open run's findings and charts (nothing to do when they are up to date)."""
        if not self._stale:
            return
        self._stale = False
        run = self.run
        if run.root_id is None:
            self.note.setText(EMPTY_NOTE)
            self.note.setVisible(True)
            self.findings.set_findings([])
            self.charts.clear()
            return
        self.findings.set_findings(run.findings or [])
        self.charts.show_run(run)
        if run.findings is None:
            self.note.setText("<i>Findings come when the run ends.</i>" if run.running
                              else "<i>This run has not been checked for findings.</i>")
        elif run.findings:
            self.note.setText("Click a finding to see its nodes in the run.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))
