"""Charts of one run drawn with QPainter: tokens, cost and sub-calls per iteration, and a call timeline.

The series come from `analysis.charts`; each chart keeps the geometry it last laid out (`bars`) so
clicks, tooltips and tests read the same rectangles that were painted.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

from rlm_studio.analysis.charts import call_timeline, iteration_series
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.events import Event, event_from_dict

from . import formatting as fmt

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 12, 26, 24
LANE_HEIGHT, LANE_GAP = 16, 3
BAND_LABEL_HEIGHT = 14   # strip above the lanes naming the iteration bands
CALL_COLOURS = {"model_call": "#1565c0", "subcall": "#2e7d32"}
CHILD_COLOURS = {"model_call": "#5e35b1", "subcall": "#00897b"}   # calls made inside child runs
ERROR_COLOUR = "#c62828"
AXIS_COLOUR = "#9e9e9e"
BAND_COLOURS = ("#eef3fa", "#ffffff")


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, ticks)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _plot_rect(widget: QWidget) -> QRectF:
    return QRectF(MARGIN_LEFT, MARGIN_TOP, max(1.0, widget.width() - MARGIN_LEFT - MARGIN_RIGHT),
                  max(1.0, widget.height() - MARGIN_TOP - MARGIN_BOTTOM))


class BarChart(QWidget):
    """Stacked bars, one per iteration. `bars` holds each bar's whole rectangle after layout."""

    bar_activated = Signal(int)

    def __init__(self, title: str, parts: Sequence[tuple[str, str]], value_text: Callable[[float], str],
                 *, whole_numbers: bool = False, empty_text: str = "Nothing to show", parent=None):
        super().__init__(parent)
        self.title = title
        self.whole_numbers = whole_numbers   # counts: axis ticks at whole numbers only
        self.empty_text = empty_text          # shown when every bar is zero
        self.parts = list(parts)              # (name, colour) of each stacked part, bottom first
        self.value_text = value_text
        self.labels: list[str] = []
        self.values: list[list[float]] = []
        self.notes: list[str] = []            # per bar: extra text (e.g. "price unknown")
        self.bars: list[QRectF] = []
        self.setMinimumSize(220, 170)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(360, 200)

    def set_bars(self, labels: Sequence[str], values: Sequence[Sequence[float]], notes: Sequence[str] = ()) -> None:
        if len(labels) != len(values):
            raise ValueError("each bar needs one label")
        self.labels, self.values = list(labels), [list(v) for v in values]
        self.notes = list(notes) or [""] * len(labels)
        self.layout_bars()
        self.update()

    @property
    def top_value(self) -> float:
        return max((sum(v) for v in self.values), default=0.0)

    def layout_bars(self) -> list[QRectF]:
        """Rectangles of the bars for the widget's current size."""
        plot = _plot_rect(self)
        count = len(self.values)
        self.bars = []
        if not count:
            return self.bars
        top = self.top_value or 1.0
        slot = plot.width() / count
        width = max(1.0, min(48.0, slot * 0.7))
        for i, parts in enumerate(self.values):
            height = plot.height() * sum(parts) / top
            x = plot.left() + slot * i + (slot - width) / 2
            self.bars.append(QRectF(x, plot.bottom() - height, width, height))
        return self.bars

    def resizeEvent(self, event) -> None:
        self.layout_bars()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        plot = _plot_rect(self)
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#212121"))
        painter.drawText(QRectF(6, 4, self.width() - 12, MARGIN_TOP - 6),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        painter.setFont(self.font())
        if len(self.parts) > 1:
            x = self.width() - MARGIN_RIGHT
            for name, colour in reversed(self.parts):
                w = painter.fontMetrics().horizontalAdvance(name)
                x -= w
                painter.setPen(QColor("#424242"))
                painter.drawText(QPointF(x, 17), name)
                x -= 14
                painter.fillRect(QRectF(x, 8, 10, 10), QColor(colour))
                x -= 10
        self._paint_axis(painter, plot)
        if not self.values:
            painter.setPen(QColor("#757575"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No iterations yet")
            return
        if self.top_value <= 0:
            painter.setPen(QColor("#757575"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
        top = self.top_value or 1.0
        label_every = max(1, math.ceil(len(self.values) * 28 / max(1.0, plot.width())))
        for i, (rect, parts) in enumerate(zip(self.layout_bars(), self.values)):
            y = plot.bottom()
            for value, (_, colour) in zip(parts, self.parts):
                h = plot.height() * value / top
                painter.fillRect(QRectF(rect.left(), y - h, rect.width(), h), QColor(colour))
                y -= h
            if self.notes[i]:
                painter.setPen(QColor(ERROR_COLOUR))
                painter.drawText(QRectF(rect.left() - 10, rect.top() - 16, rect.width() + 20, 14),
                                 Qt.AlignmentFlag.AlignCenter, "?")
            if i % label_every == 0:
                painter.setPen(QColor("#424242"))
                painter.drawText(QRectF(rect.center().x() - 20, plot.bottom() + 3, 40, MARGIN_BOTTOM - 4),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.labels[i])

    def _paint_axis(self, painter: QPainter, plot: QRectF) -> None:
        top = self.top_value
        painter.setPen(QPen(QColor(AXIS_COLOUR), 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        if top <= 0:
            return
        step = nice_step(top, 4)
        if self.whole_numbers:
            step = max(1.0, round(step))
        value = 0.0
        while value <= top * 1.0001:
            y = plot.bottom() - plot.height() * value / top
            painter.setPen(QPen(QColor("#eeeeee"), 1))
            painter.drawLine(QPointF(plot.left() + 1, y), QPointF(plot.right(), y))
            painter.setPen(QColor("#616161"))
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.value_text(value))
            value += step

    def bar_at(self, point: QPointF) -> int | None:
        plot = _plot_rect(self)
        for i, rect in enumerate(self.bars):
            column = QRectF(rect.left(), plot.top(), rect.width(), plot.height())
            if column.contains(point):
                return i
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            i = self.bar_at(QPointF(event.pos()))
            if i is None:
                QToolTip.hideText()
            else:
                lines = [f"{self.labels[i]}"] + [f"{name}: {self.value_text(v)}"
                                                  for (name, _), v in zip(self.parts, self.values[i])]
                if self.notes[i]:
                    lines.append(self.notes[i])
                QToolTip.showText(event.globalPos(), "\n".join(lines), self)
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        i = self.bar_at(event.position())
        if i is not None and event.button() == Qt.MouseButton.LeftButton:
            self.bar_activated.emit(i)
        super().mouseReleaseEvent(event)


class TimelineChart(QWidget):
    """A waterfall of every model call and sub-call over time; calls that overlapped sit in separate
    lanes. Iterations are shown as alternating background bands. `bars`: (node id, rectangle)."""

    node_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.timeline: dict[str, Any] = {"bars": [], "lanes": 0, "max_parallel": 0, "duration_s": 0.0}
        self.bands: list[tuple[str, float, float]] = []   # (label, start s, end s) of each root iteration
        self.bars: list[tuple[str, QRectF]] = []
        self.setMouseTracking(True)
        self._fit_height()

    def set_timeline(self, timeline: dict[str, Any], bands: Sequence[tuple[str, float, float]] = ()) -> None:
        self.timeline = timeline
        self.bands = list(bands)
        self._fit_height()
        self.layout_bars()
        self.update()

    @property
    def lanes(self) -> int:
        return int(self.timeline.get("lanes", 0))

    def _fit_height(self) -> None:
        lanes = max(1, self.lanes)
        self.setMinimumSize(300, MARGIN_TOP + BAND_LABEL_HEIGHT + MARGIN_BOTTOM
                            + lanes * (LANE_HEIGHT + LANE_GAP) + LANE_GAP)

    def sizeHint(self) -> QSize:
        return QSize(720, self.minimumHeight())

    def _x(self, plot: QRectF, seconds: float) -> float:
        duration = self.timeline.get("duration_s") or 0.0
        return plot.left() + (plot.width() * seconds / duration if duration > 0 else 0.0)

    def _lane_top(self, lane: int) -> float:
        return MARGIN_TOP + BAND_LABEL_HEIGHT + LANE_GAP + lane * (LANE_HEIGHT + LANE_GAP)

    def layout_bars(self) -> list[tuple[str, QRectF]]:
        plot = _plot_rect(self)
        self.bars = []
        for bar in self.timeline.get("bars", []):
            left = self._x(plot, bar["start_s"])
            right = max(left + 2.0, self._x(plot, bar["end_s"]))
            self.bars.append((bar["node_id"], QRectF(left, self._lane_top(bar["lane"]), right - left, LANE_HEIGHT)))
        return self.bars

    def resizeEvent(self, event) -> None:
        self.layout_bars()
        super().resizeEvent(event)

    @staticmethod
    def colour(bar: dict[str, Any]) -> QColor:
        if bar.get("status") in ("error", "timeout", "crashed", "failed"):
            return QColor(ERROR_COLOUR)
        colours = CHILD_COLOURS if bar.get("depth", 0) > 0 else CALL_COLOURS
        colour = QColor(colours.get(bar.get("kind"), "#616161"))
        if bar.get("running"):
            colour.setAlpha(120)
        return colour

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        plot = _plot_rect(self)
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#212121"))
        t = self.timeline
        painter.drawText(QRectF(6, 4, self.width() - 12, MARGIN_TOP - 6),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"Call timeline — {len(t['bars'])} calls, up to {t['max_parallel']} at once")
        painter.setFont(self.font())
        self._paint_legend(painter)
        for n, (label, start, end) in enumerate(self.bands):
            left, right = self._x(plot, start), self._x(plot, end)
            painter.fillRect(QRectF(left, plot.top(), max(1.0, right - left), plot.height()),
                             QColor(BAND_COLOURS[n % 2]))
            painter.setPen(QColor("#90a4ae"))
            painter.drawText(QRectF(left + 2, plot.top(), max(1.0, right - left - 4), BAND_LABEL_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        for lane in range(self.lanes):
            painter.setPen(QColor("#757575"))
            painter.drawText(QRectF(0, self._lane_top(lane), MARGIN_LEFT - 6, LANE_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"lane {lane + 1}")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for (_node_id, rect), bar in zip(self.layout_bars(), t["bars"]):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(self.colour(bar)))
            painter.drawRoundedRect(rect, 3, 3)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._paint_time_axis(painter, plot)
        if not t["bars"]:
            painter.setPen(QColor("#757575"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No model calls yet")

    def _paint_legend(self, painter: QPainter) -> None:
        entries = [("root model", CALL_COLOURS["model_call"]), ("sub-call", CALL_COLOURS["subcall"])]
        if any(b.get("depth", 0) > 0 for b in self.timeline["bars"]):
            entries += [("child root", CHILD_COLOURS["model_call"]), ("child sub-call", CHILD_COLOURS["subcall"])]
        entries.append(("error", ERROR_COLOUR))
        x = self.width() - MARGIN_RIGHT
        for name, colour in reversed(entries):
            x -= painter.fontMetrics().horizontalAdvance(name)
            painter.setPen(QColor("#424242"))
            painter.drawText(QPointF(x, 17), name)
            x -= 14
            painter.fillRect(QRectF(x, 8, 10, 10), QColor(colour))
            x -= 12

    def _paint_time_axis(self, painter: QPainter, plot: QRectF) -> None:
        painter.setPen(QPen(QColor(AXIS_COLOUR), 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        duration = self.timeline.get("duration_s") or 0.0
        if duration <= 0:
            return
        step = nice_step(duration, max(2, int(plot.width() // 90)))
        value = 0.0
        while value <= duration * 1.0001:
            x = self._x(plot, value)
            painter.setPen(QPen(QColor(AXIS_COLOUR), 1))
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            painter.setPen(QColor("#616161"))
            text = f"{value:g} s" if step >= 1 else f"{value * 1000:.0f} ms"
            painter.drawText(QRectF(x - 40, plot.bottom() + 5, 80, MARGIN_BOTTOM - 6),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
            value += step

    def bar_at(self, point: QPointF) -> dict[str, Any] | None:
        for (_node_id, rect), bar in zip(self.bars, self.timeline["bars"]):
            if rect.adjusted(-1, 0, 1, 0).contains(point):
                return bar
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            bar = self.bar_at(QPointF(event.pos()))
            if bar is None:
                QToolTip.hideText()
            else:
                took = fmt.duration_ms((bar["end_s"] - bar["start_s"]) * 1000)
                where = f"iteration {bar['iteration']}" if bar.get("iteration") else ""
                text = (f"<b>{html.escape(bar['label'])}</b> {html.escape(bar['model'] or '')}<br>"
                        f"{bar['start_s']:.2f} s → {bar['end_s']:.2f} s ({took}) {where}"
                        f"{'<br>depth ' + str(bar['depth']) if bar['depth'] else ''}"
                        f"<br>{html.escape(fmt.status(bar['status']))}")
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        bar = self.bar_at(event.position())
        if bar is not None and event.button() == Qt.MouseButton.LeftButton:
            self.node_activated.emit(bar["node_id"])
        super().mouseReleaseEvent(event)


def _int_text(value: float) -> str:
    return f"{value:,.0f}" if value < 10_000 else f"{value / 1000:,.0f}k"


class ChartsView(QWidget):
    """Charts of one run. Call `set_events(events)`; clicking a bar emits `node_activated(node_id)`
    (an iteration for the per-iteration charts, a call for the timeline)."""

    node_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.series: list[dict[str, Any]] = []
        self.timeline: dict[str, Any] = {}
        self.summary = QLabel("<i>No run to chart.</i>")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.tokens_chart = BarChart("Tokens per iteration", [("input", "#1e88e5"), ("output", "#fb8c00")],
                                     _int_text, whole_numbers=True, empty_text="No tokens reported")
        self.cost_chart = BarChart("Cost per iteration (USD)", [("cost", "#8e24aa")], fmt.dollars,
                                   empty_text="No cost: every call was free")
        self.subcalls_chart = BarChart("Sub-calls per iteration", [("sub-calls", "#2e7d32")], _int_text,
                                       whole_numbers=True, empty_text="No sub-calls")
        self.timeline_chart = TimelineChart()
        for chart in (self.tokens_chart, self.cost_chart, self.subcalls_chart):
            chart.bar_activated.connect(self._iteration_activated)
        self.timeline_chart.node_activated.connect(self.node_activated)

        bars = QHBoxLayout()
        for chart in (self.tokens_chart, self.cost_chart, self.subcalls_chart):
            bars.addWidget(chart)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(bars, 1)
        body_layout.addWidget(self.timeline_chart)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)

    def set_events(self, events: Iterable[Any]) -> None:
        """Chart the run recorded in these events (typed or stored dicts; a run still going is fine)."""
        typed = [e if isinstance(e, Event) else event_from_dict(e) for e in events]
        typed = [e for e in typed if not e.ephemeral]
        tree = RunTree.from_events(typed)
        if tree.root_id is None:
            raise ValueError("these events hold no run to chart (no run_started event)")
        self.series = iteration_series(typed, tree=tree)
        self.timeline = call_timeline(typed, tree=tree)
        labels = [str(row["iteration"]) for row in self.series]
        self.tokens_chart.set_bars(labels, [[r["input_tokens"], r["output_tokens"]] for r in self.series])
        self.cost_chart.set_bars(labels, [[r["known_cost_usd"]] for r in self.series],
                                 ["Some prices in this iteration are unknown: the bar shows the priced part."
                                  if r["cost_usd"] is None else "" for r in self.series])
        self.subcalls_chart.set_bars(labels, [[r["subcalls"]] for r in self.series])
        t0 = min(e.ts for e in typed)
        bands = []
        for row in self.series:
            node = tree.node(row["node_id"])
            end = node.ended_ts if node.ended_ts is not None else max(e.ts for e in typed)
            bands.append((f"it {row['iteration']}", node.started_ts - t0, end - t0))
        self.timeline_chart.set_timeline(self.timeline, bands)
        t = self.timeline
        self.summary.setText(f"<b>{len(self.series)}</b> iterations · <b>{len(t['bars'])}</b> calls · up to "
                             f"<b>{t['max_parallel']}</b> at once · {t['duration_s']:.2f} s")

    def _iteration_activated(self, row: int) -> None:
        if 0 <= row < len(self.series):
            self.node_activated.emit(self.series[row]["node_id"])
