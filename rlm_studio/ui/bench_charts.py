"""The Bench tab's two charts (pyqtgraph): accuracy against input size per method (the paper's Figure 1) and mean cost
against size. Sizes are drawn on a log2 axis labelled 8k, 16k, ..."""

from __future__ import annotations

import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # pyqtgraph picks the binding the app uses

from typing import Any  # noqa: E402

import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QHBoxLayout, QWidget  # noqa: E402

from rlm_studio.bench.report import by_size  # noqa: E402
from rlm_studio.bench.tokens import format_size  # noqa: E402

PALETTE = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"]


def _plot(title: str, y_label: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setTitle(title, color="#333", size="10pt")
    item.setLabel("bottom", "input size (tokens)")
    item.setLabel("left", y_label)
    item.getAxis("left").enableAutoSIPrefix(False)     # dollars stay dollars, not "(x0.001)"
    item.addLegend(offset=(10, 10), labelTextSize="8pt", labelTextColor="#333")
    return plot


class BenchCharts(QWidget):
    """`show_rows(rows)` redraws both charts from a bench's task rows; `series` holds what is drawn (for tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.accuracy = _plot("Accuracy against input size", "score (0-100)")
        self.cost = _plot("Cost against input size", "mean cost per task (USD)")
        self.accuracy.setYRange(-2, 102)
        layout.addWidget(self.accuracy)
        layout.addWidget(self.cost)
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.cost_series: dict[str, list[tuple[int, float]]] = {}

    def clear(self) -> None:
        for plot in (self.accuracy, self.cost):
            plot.getPlotItem().clear()
        self.series, self.cost_series = {}, {}

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.clear()
        points = by_size(rows)
        lines: dict[str, list[dict[str, Any]]] = {}
        for p in points:
            lines.setdefault(f"{p['method']} / {p['family']}", []).append(p)
        sizes = sorted({p["size"] for p in points if p["size"] > 0})
        ticks = [[(math.log2(s), format_size(s)) for s in sizes]]
        for n, (label, series) in enumerate(sorted(lines.items())):
            series = sorted((p for p in series if p["size"] > 0), key=lambda p: p["size"])
            pen = pg.mkPen(PALETTE[n % len(PALETTE)], width=2)
            brush = pg.mkBrush(PALETTE[n % len(PALETTE)])
            xs = [math.log2(p["size"]) for p in series]
            self.series[label] = [(p["size"], p["score"]) for p in series]
            self.accuracy.plot(xs, [p["score"] for p in series], pen=pen, symbol="o", symbolBrush=brush,
                               symbolSize=7, name=label)
            priced = [p for p in series if p["cost_mean"] is not None]
            if priced:
                self.cost_series[label] = [(p["size"], p["cost_mean"]) for p in priced]
                self.cost.plot([math.log2(p["size"]) for p in priced], [p["cost_mean"] for p in priced], pen=pen,
                               symbol="o", symbolBrush=brush, symbolSize=7, name=label)
        for plot in (self.accuracy, self.cost):
            plot.getPlotItem().getAxis("bottom").setTicks(ticks)
        self.accuracy.setYRange(-2, 102)
        top = max((cost for series in self.cost_series.values() for _, cost in series), default=0.0)
        self.cost.setYRange(0, top * 1.1 if top > 0 else 0.01)     # costs are never negative; $0 sits on the axis
