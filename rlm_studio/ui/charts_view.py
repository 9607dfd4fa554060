"""Charts of one run: tokens, cost and sub-calls per iteration, and the waterfall of calls (pyqtgraph,
built the first time a run is charted); a read-out line for what the pointer is over; "Export chart…"
writes the same figures to PNG or SVG with matplotlib (analysis.figures_mpl)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from rlm_studio.analysis.chart_figures import RunCharts, run_charts
from rlm_studio.analysis.open_run import OpenRun

READOUT_HINT = "Point at a bar or a call to read it out; wheel zooms, drag pans, click opens the node."


class ChartsView(QWidget):
    """Charts of one run. `show_run(run)` (or `set_events(events)`); clicking a bar emits `node_activated`
    (an iteration for the per-iteration charts, a call for the waterfall)."""

    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.charts: RunCharts | None = None
        self.run: OpenRun | None = None
        self.summary = QLabel("<i>No run to chart.</i>")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.export_button = QPushButton("Export chart…")
        self.export_button.setToolTip("Write these charts to a PNG or SVG file")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._choose_export)
        self.readout = QLabel(READOUT_HINT)
        self.readout.setStyleSheet("color:#424242")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.message)
        top.addWidget(self.export_button)
        self._body = QSplitter(Qt.Orientation.Vertical)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._body, 1)
        layout.addWidget(self.readout)
        self.tokens_chart: Any = None
        self.cost_chart: Any = None
        self.subcalls_chart: Any = None
        self.timeline_chart: Any = None

    def _build_plots(self) -> None:
        """The pyqtgraph widgets, made the first time a run is charted (pyqtgraph loads in a moment)."""
        if self.timeline_chart is not None:
            return
        from .charts_plots import CallWaterfall, IterationBars

        self.tokens_chart, self.cost_chart, self.subcalls_chart = IterationBars(), IterationBars(), IterationBars()
        row = QWidget()
        bars = QHBoxLayout(row)
        bars.setContentsMargins(0, 0, 0, 0)
        for chart in (self.tokens_chart, self.cost_chart, self.subcalls_chart):
            bars.addWidget(chart)
            chart.bar_activated.connect(self._iteration_activated)
            chart.hovered.connect(self._show_readout)
        self.timeline_chart = CallWaterfall()
        self.timeline_chart.node_activated.connect(self.node_activated)
        self.timeline_chart.hovered.connect(self._show_readout)
        self._body.addWidget(row)
        self._body.addWidget(self.timeline_chart)
        self._body.setStretchFactor(0, 2)
        self._body.setStretchFactor(1, 3)

    @property
    def series(self) -> list[dict[str, Any]]:
        return self.charts.series if self.charts is not None else []

    @property
    def timeline(self) -> dict[str, Any]:
        """The waterfall's data as analysis.charts.call_timeline returns it."""
        w = self.charts.waterfall if self.charts is not None else None
        if w is None:
            return {"bars": [], "lanes": 0, "max_parallel": 0, "duration_s": 0.0}
        return {"bars": w.bars, "lanes": w.lanes, "max_parallel": w.max_parallel, "duration_s": w.duration_s}

    def set_events(self, events: Iterable[Any]) -> None:
        """Chart the run recorded in these events (typed or stored dicts; a run still going is fine)."""
        self.show_run(OpenRun.from_events(events))

    def show_run(self, run: OpenRun) -> None:
        """Chart this run; ValueError when nothing in it has started."""
        charts = run_charts(run)
        self._build_plots()
        self.run, self.charts = run, charts
        self.tokens_chart.set_series(charts.tokens)
        self.cost_chart.set_series(charts.cost)
        self.subcalls_chart.set_series(charts.subcalls)
        self.timeline_chart.set_waterfall(charts.waterfall)
        self.summary.setText(charts.summary(bold=True))
        self.export_button.setEnabled(True)

    def clear(self) -> None:
        self.run, self.charts = None, None
        self.summary.setText("<i>No run to chart.</i>")
        self.export_button.setEnabled(False)

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text.replace("\n", "  ·  ") if text else READOUT_HINT)

    def _iteration_activated(self, row: int) -> None:
        if 0 <= row < len(self.series):
            self.node_activated.emit(self.series[row]["node_id"])

    # -- export -------------------------------------------------------------------------------
    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart", "run-charts.png", "PNG image (*.png);;SVG (*.svg)")
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> bool:
        """Write the charted run's figures to `path` (.png or .svg); a one-line message either way."""
        from rlm_studio.analysis.figures_mpl import write_run_figure

        if self.run is None:
            self.message.setText("Nothing to export: chart a run first.")
            return False
        try:
            written = write_run_figure(self.run, path)
        except (OSError, ValueError) as exc:
            self.message.setStyleSheet("color:#c62828")
            self.message.setText(f"Could not export the chart: {exc}")
            return False
        self.message.setStyleSheet("color:#2e7d32")
        self.message.setText(f"Saved {written.name}")
        return True
