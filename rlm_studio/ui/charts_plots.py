"""The Analysis tab's interactive charts, drawn with pyqtgraph: bars per iteration, and the waterfall of
calls with zoom, pan and a hover read-out. The figures themselves come from analysis.chart_figures.

Imported only when charts are first shown (pyqtgraph takes a moment to load). The waterfall draws one
item per colour, not one per call, so a run with 10,000+ calls stays fast to draw, zoom and pan.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # pyqtgraph picks the binding the app uses

from typing import Any  # noqa: E402

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt, Signal  # noqa: E402
from PySide6.QtGui import QColor, QCursor  # noqa: E402
from PySide6.QtWidgets import QToolTip, QWidget  # noqa: E402

from rlm_studio.analysis.chart_figures import (  # noqa: E402
    BAND_COLOURS,
    LANE_HEIGHT,
    BarSeries,
    Waterfall,
    call_colour,
    call_readout,
    legend,
)

BAR_WIDTH = 0.7
MAX_BAND_LABELS = 60
MAX_LANE_LABELS = 40
HOVER_SLACK_PX = 3   # how near (in pixels) the pointer must be to a call to read it out


def _style(plot: pg.PlotWidget) -> None:
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.showGrid(x=False, y=True, alpha=0.15)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen("#9e9e9e"))
        axis.setTextPen(pg.mkPen("#616161"))
        axis.setZValue(-1000)   # grid lines behind the bars, not over them


def _title(text: str, entries: list[tuple[str, str]] | None = None) -> str:
    keys = " &nbsp;".join(f"<span style='color:{c}'>■</span> <span style='color:#424242'>{n}</span>"
                          for n, c in entries or [])
    return f"<b style='color:#212121'>{text}</b>" + (f" &nbsp; &nbsp; {keys}" if keys else "")


def _show_readout(plot: pg.PlotWidget, text: str) -> None:
    """Tell listeners the hovered item's read-out and show it as a tooltip (hidden when empty)."""
    plot.hovered.emit(text)
    if text:
        QToolTip.showText(QCursor.pos(), text, plot)
    else:
        QToolTip.hideText()


class IterationBars(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph has no type hints
    """Stacked bars, one per root iteration; x zooms and pans, hover reads a bar out, click emits its row."""

    bar_activated = Signal(int)
    hovered = Signal(str)   # the read-out of the bar under the pointer ("" when none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        _style(self)
        self.setMouseEnabled(x=True, y=False)
        self.setMinimumSize(220, 170)
        self.series: BarSeries | None = None
        self.items: list[pg.BarGraphItem] = []
        self._empty = pg.TextItem(color="#757575", anchor=(0.5, 0.5))
        self._hover: int | None = None
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_series(self, series: BarSeries) -> None:
        plot = self.getPlotItem()
        for item in self.items:
            plot.removeItem(item)
        plot.removeItem(self._empty)
        self.items = []
        self.series = series
        plot.setTitle(_title(series.title, list(series.parts) if len(series.parts) > 1 else []), size="9pt")
        x = list(range(1, len(series.labels) + 1))
        bottom = [0.0] * len(x)
        for part, (_name, colour) in enumerate(series.parts):
            heights = [v[part] for v in series.values]
            item = pg.BarGraphItem(x=x, height=heights, y0=bottom, width=BAR_WIDTH, brush=colour,
                                   pen=pg.mkPen(colour))
            plot.addItem(item)
            self.items.append(item)
            bottom = [b + h for b, h in zip(bottom, heights)]
        step = max(1, len(x) // 12)
        plot.getAxis("bottom").setTicks([[(i, series.labels[i - 1]) for i in x[::step]]])
        top = max(series.totals, default=0.0)
        if top <= 0:
            self._empty.setText(series.empty_text if series.values else "No iterations yet")
            self._empty.setPos((len(x) + 1) / 2 if x else 0.5, 0.5)
            plot.addItem(self._empty)
        left = plot.getAxis("left")
        if series.unit != "USD" and 0 < top <= 8:  # small counts: ticks at whole numbers only
            left.setTicks([[(v, str(v)) for v in range(int(top) + 1)]])
        else:
            left.setTicks(None)
        self.setLimits(xMin=0, xMax=len(x) + 1, yMin=0)
        self.setXRange(0.4, len(x) + 0.6 if x else 1.6, padding=0)
        self.setYRange(0, top * 1.08 if top > 0 else 1, padding=0)

    def bar_at_view(self, x: float, y: float) -> int | None:
        """The bar (0-based row) whose column holds the view point (x, y)."""
        series = self.series
        if series is None or not series.values:
            return None
        i = round(x) - 1
        if 0 <= i < len(series.values) and abs(x - (i + 1)) <= BAR_WIDTH / 2 and y >= 0:
            return i
        return None

    def bar_point(self, i: int) -> QPoint:
        """Where bar `i`'s middle is drawn, in viewport pixels (clicks in tests and demos)."""
        assert self.series is not None
        top = self.series.totals[i]
        scene = self.getViewBox().mapViewToScene(QPointF(i + 1, top / 2 if top > 0 else 0.0))
        point: QPoint = self.mapFromScene(scene)
        return point

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        vb = self.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        point: QPointF = vb.mapSceneToView(scene_pos)
        return point

    def _moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        i = None if point is None else self.bar_at_view(point.x(), point.y())
        if i == self._hover:
            return
        self._hover = i
        text = "" if i is None or self.series is None else self.series.readout(i)
        _show_readout(self, text)

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self._view_point(event.scenePos())
        i = None if point is None else self.bar_at_view(point.x(), point.y())
        if i is not None:
            self.bar_activated.emit(i)


class CallWaterfall(pg.PlotWidget):  # type: ignore[misc]
    """Every call as a bar over time, parallel calls in separate lanes, iterations as background bands.
    Wheel zooms, drag pans (both axes); hover reads a call out; click emits its node id."""

    node_activated = Signal(str)
    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        _style(self)
        self.getPlotItem().showGrid(x=True, y=False, alpha=0.12)
        self.getViewBox().invertY(True)
        self.getPlotItem().setLabel("bottom", "time from the start of the run", units="s")
        self.setMinimumHeight(180)
        self.waterfall: Waterfall | None = None
        self.items: list[Any] = []
        self._hover: str | None = None
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    @property
    def lanes(self) -> int:
        return self.waterfall.lanes if self.waterfall is not None else 0

    def set_waterfall(self, waterfall: Waterfall) -> None:
        plot = self.getPlotItem()
        for item in self.items:
            plot.removeItem(item)
        self.items = []
        self.waterfall = waterfall
        self._hover = None
        lanes = max(1, waterfall.lanes)
        plot.setTitle(_title(waterfall.title(), legend(waterfall)), size="9pt")
        for parity in (0, 1):  # the iteration bands: two items, whatever the number of iterations
            bands = waterfall.bands[parity::2]
            if bands:
                self._add(pg.BarGraphItem(x0=[b[1] for b in bands], width=[max(b[2] - b[1], 0.0) for b in bands],
                                          y0=-0.5, height=lanes, brush=BAND_COLOURS[parity], pen=pg.mkPen(None)))
        if len(waterfall.bands) <= MAX_BAND_LABELS:
            for label, start, _end in waterfall.bands:
                text = pg.TextItem(label, color="#90a4ae", anchor=(0, 1))
                text.setPos(start, -0.5)
                self._add(text)
        groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for bar in waterfall.bars:
            groups.setdefault((call_colour(bar), bool(bar.get("running"))), []).append(bar)
        for (colour, running), bars in groups.items():  # one item per colour: fast with 10k+ calls
            fill = QColor(colour)
            if running:
                fill.setAlpha(120)
            self._add(pg.BarGraphItem(
                x0=[b["start_s"] for b in bars], width=[b["end_s"] - b["start_s"] for b in bars],
                y0=[b["lane"] - LANE_HEIGHT / 2 for b in bars], height=LANE_HEIGHT,
                brush=fill, pen=pg.mkPen(fill, width=2)))   # a cosmetic pen: an instant call is 2 px wide
        if not waterfall.bars:
            empty = pg.TextItem("No model calls yet", color="#757575", anchor=(0.5, 0.5))
            empty.setPos(0.5, 0)
            self._add(empty)
        ticks = [(i, f"lane {i + 1}") for i in range(lanes)] if lanes <= MAX_LANE_LABELS else None
        plot.getAxis("left").setTicks([ticks] if ticks else None)
        duration = max(waterfall.duration_s, 1e-3)
        self.setLimits(xMin=-duration * 0.05, xMax=duration * 1.05, yMin=-1.2, yMax=lanes + 0.5,
                       minXRange=duration / 1e6)
        self.setXRange(0, duration, padding=0.01)
        self.setYRange(-1.0, lanes - 0.5, padding=0)
        self.setMinimumHeight(min(560, 120 + 22 * lanes))

    def _add(self, item: Any) -> None:
        self.getPlotItem().addItem(item)
        self.items.append(item)

    def call_at_view(self, seconds: float, lane_y: float) -> dict[str, Any] | None:
        """The call drawn at this view point (within a few pixels of a very short one)."""
        if self.waterfall is None:
            return None
        pixel = self.getViewBox().viewPixelSize()[0]
        return self.waterfall.bar_at(seconds, lane_y, slack_s=pixel * HOVER_SLACK_PX)

    def call_point(self, node_id: str) -> QPoint:
        """Where a call's middle is drawn, in viewport pixels."""
        assert self.waterfall is not None
        bar = next(b for b in self.waterfall.bars if b["node_id"] == node_id)
        scene = self.getViewBox().mapViewToScene(QPointF((bar["start_s"] + bar["end_s"]) / 2, bar["lane"]))
        point: QPoint = self.mapFromScene(scene)
        return point

    def _call_under(self, scene_pos: QPointF) -> dict[str, Any] | None:
        vb = self.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = vb.mapSceneToView(scene_pos)
        return self.call_at_view(point.x(), point.y())

    def _moved(self, scene_pos: QPointF) -> None:
        bar = self._call_under(scene_pos)
        node_id = bar["node_id"] if bar is not None else None
        if node_id == self._hover:
            return
        self._hover = node_id
        text = call_readout(bar) if bar is not None else ""
        _show_readout(self, text)

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        bar = self._call_under(event.scenePos())
        if bar is not None:
            self.node_activated.emit(bar["node_id"])

