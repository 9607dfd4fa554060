"""Charts of a real recorded run (pyqtgraph): bars per iteration, waterfall lanes for parallel calls, painting,
clicks, hover read-outs, zoom, a run still going, 10,000 calls, and the matplotlib export of the same figures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from rlm_studio.analysis.chart_figures import Waterfall
from rlm_studio.analysis.charts import run_charts as chart_series
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.engine.settings import RunSettings
from rlm_studio.ui.charts_view import ChartsView
from tests.engine.scripts import repl, run_session, script

# tests save their screenshot in a temporary folder; RLM_STUDIO_SCREENSHOTS=docs/screenshots refreshes the README's
SCREENSHOTS = Path(os.environ.get("RLM_STUDIO_SCREENSHOTS") or tempfile.mkdtemp(prefix="rlm-studio-shots-"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Iteration 1: four sub-calls in one batch (they overlap); 2: two calls one after the other; 3: FINAL."""
    folder = tmp_path_factory.mktemp("charts")
    sub = script(folder, "sub", rules=[{"match": "count (\\w+)", "content": "3", "delay_ms": 60}], default="?")
    root = script(folder, "root", responses=[
        repl("words = context.split()\nn = llm_query_batched([f'count {w}' for w in words])\nprint(list(n))"),
        repl("m = [llm_query(f'count {w}') for w in words[:2]]\nprint(m)"),
        repl("FINAL(sum(int(x) for x in n) + sum(int(x) for x in m))"),
    ])
    result, events = run_session("How many?", "apple pear plum fig", RunSettings(root_model=root, sub_model=sub))
    assert result.answer == "18"
    return events


@pytest.fixture
def view(qtbot, recorded):
    widget = ChartsView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.set_events(recorded)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _heights(chart) -> list[float]:
    """The drawn height of each bar: the stacked parts of every BarGraphItem summed."""
    totals = [0.0] * len(chart.series.labels)
    for item in chart.items:
        for i, h in enumerate(item.opts["height"]):
            totals[i] += h
    return totals


def test_one_bar_per_iteration_sized_by_its_figures(view, recorded):
    series = chart_series(recorded)["iterations"]
    assert [r["subcalls"] for r in series] == [4, 2, 0]
    for chart in (view.tokens_chart, view.cost_chart, view.subcalls_chart):
        assert chart.series.labels == ["1", "2", "3"]
    assert _heights(view.subcalls_chart) == [4, 2, 0]
    tokens = view.tokens_chart
    assert len(tokens.items) == 2                                 # input and output, stacked
    assert tokens.series.values == [[r["input_tokens"], r["output_tokens"]] for r in series]
    assert list(tokens.items[1].opts["y0"]) == [r["input_tokens"] for r in series]   # output sits on input
    assert "iterations" in view.summary.text() and "up to <b>4</b> at once" in view.summary.text()
    totals = RunTree.from_events(recorded).totals()                # the run's counts, as every surface has them
    assert f"<b>{totals.iterations}</b> iterations · <b>{totals.model_calls}</b> calls" in view.summary.text()
    assert (totals.iterations, totals.model_calls) == (3, 9)


def test_waterfall_puts_overlapping_calls_in_separate_lanes(view):
    timeline = view.timeline_chart
    assert timeline.lanes == 4 and timeline.waterfall.max_parallel == 4
    bars = timeline.waterfall.bars
    assert len(bars) == 3 + 6                                     # three root calls, six sub-calls
    batch = [b for b in bars if b["kind"] == "subcall" and b["iteration"] == 1]
    assert sorted(b["lane"] for b in batch) == [0, 1, 2, 3]
    rows = {timeline.call_point(b["node_id"]).y() for b in batch}
    assert len(rows) == 4                                         # drawn on four different rows
    # side by side in time: the four batched calls overlap (their start times differ by the scheduling of a
    # loaded machine, so compare spans, not pixels)
    assert max(b["start_s"] for b in batch) < min(b["end_s"] for b in batch)
    sequential = [b for b in bars if b["kind"] == "subcall" and b["iteration"] == 2]
    assert [b["lane"] for b in sequential] == [0, 0]
    assert timeline.minimumHeight() > 4 * 16


def test_charts_paint_where_the_figures_say(view, tmp_path):
    image = view.grab().toImage()
    assert not image.isNull() and image.width() >= 1000
    chart = view.subcalls_chart
    point = chart.bar_point(0)                                   # half-way up the 4-sub-call bar
    picture = chart.grab().toImage()
    quarter = chart.mapFromScene(chart.getViewBox().mapViewToScene(QPointF(1.2, 1.0)))
    assert picture.pixelColor(point).name() == "#2e7d32"          # the bar is painted where it is laid out
    assert picture.pixelColor(quarter).name() == "#2e7d32"
    waterfall = view.timeline_chart
    sub = next(b for b in waterfall.waterfall.bars if b["kind"] == "subcall")
    assert waterfall.grab().toImage().pixelColor(waterfall.call_point(sub["node_id"])).name() == "#2e7d32"
    path = tmp_path / "charts.png"
    assert view.grab().save(str(path)) and path.stat().st_size > 5000
    assert not QImage(str(path)).isNull()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(SCREENSHOTS / "charts.png"))


def test_clicking_a_call_or_an_iteration_names_its_node(qtbot, view):
    timeline = view.timeline_chart
    last = timeline.waterfall.bars[-1]                            # the final root call: an instant, 2 px wide
    with qtbot.waitSignal(view.node_activated) as signal:
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=timeline.call_point(last["node_id"]))
    assert signal.args == [last["node_id"]]
    tokens = view.tokens_chart
    with qtbot.waitSignal(view.node_activated) as signal:
        qtbot.mouseClick(tokens.viewport(), Qt.MouseButton.LeftButton, pos=tokens.bar_point(1))
    assert signal.args == [view.series[1]["node_id"]]
    with qtbot.assertNotEmitted(view.node_activated):
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))


def test_hovering_reads_a_call_or_a_bar_out(qtbot, view):
    timeline = view.timeline_chart
    sub = next(b for b in timeline.waterfall.bars if b["kind"] == "subcall" and b["lane"] == 2)
    qtbot.mouseMove(timeline.viewport(), timeline.call_point(sub["node_id"]))
    qtbot.waitUntil(lambda: sub["label"] in view.readout.text())
    assert "lane 3" in view.readout.text() and "iteration 1" in view.readout.text() and "ms" in view.readout.text()
    assert "script:sub.json" in view.readout.text()              # the model, without its folder
    chart = view.subcalls_chart
    qtbot.mouseMove(chart.viewport(), chart.bar_point(0))
    qtbot.waitUntil(lambda: view.readout.text().startswith("Iteration 1"))
    assert "sub-calls: 4 sub-calls" in view.readout.text()


def test_the_wheel_zooms_the_waterfall_and_clicks_still_hit(qtbot, view):
    timeline = view.timeline_chart
    before = timeline.getViewBox().viewRange()[0]
    sub = next(b for b in timeline.waterfall.bars if b["kind"] == "subcall" and b["iteration"] == 1)
    at = QPointF(timeline.call_point(sub["node_id"]))
    for _ in range(3):
        wheel = QWheelEvent(at, QPointF(timeline.viewport().mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(timeline.viewport(), wheel)
    after = timeline.getViewBox().viewRange()[0]
    assert after[1] - after[0] < (before[1] - before[0]) * 0.8   # zoomed in on the time axis
    with qtbot.waitSignal(view.node_activated) as signal:
        qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=timeline.call_point(sub["node_id"]))
    assert signal.args == [sub["node_id"]]


def test_a_run_still_going_and_bad_input(qtbot, recorded):
    view = ChartsView()
    qtbot.addWidget(view)
    cut = next(i for i, e in enumerate(recorded) if e.kind == "subcall_started") + 1
    view.set_events(recorded[:cut])                               # cut while the batch is in flight
    assert view.tokens_chart.series.labels == ["1"] and len(view.series) == 1
    running = [b for b in view.timeline["bars"] if b["running"]]
    assert [b["kind"] for b in running] == ["subcall"]
    faded = [item for item in view.timeline_chart.items
             if hasattr(item, "opts") and item.opts.get("brush") is not None
             and getattr(item.opts["brush"], "alpha", lambda: 255)() < 255]
    assert len(faded) == 1                                        # the running call is drawn faded
    with pytest.raises(ValueError, match="no run to chart"):
        view.set_events([])


def test_ten_thousand_calls_are_a_handful_of_items(qtbot):
    """The waterfall draws one item per colour, not one per call; finding the call under the pointer
    is a binary search in its lane."""
    bars = []
    for n in range(10_000):
        lane = n % 16
        start = (n // 16) * 0.01
        bars.append({"node_id": f"c{n}", "kind": "subcall" if n % 50 else "model_call", "label": f"call {n}",
                     "model": "m", "iteration": 1 + n // 2000, "depth": 1 if n % 7 == 0 else 0,
                     "status": "error" if n % 997 == 0 else "ok", "start_s": start, "end_s": start + 0.008,
                     "running": False, "lane": lane})
    bands = [(f"it {i + 1}", i * 1.25, (i + 1) * 1.25) for i in range(5)]
    waterfall = Waterfall(bars, 16, 16, 6.25, bands)
    from rlm_studio.ui.charts_plots import CallWaterfall

    chart = CallWaterfall()
    qtbot.addWidget(chart)
    chart.resize(1000, 500)
    chart.set_waterfall(waterfall)
    chart.show()
    qtbot.waitExposed(chart)
    assert len(chart.items) <= 2 + 5 + 5                          # bands, band labels, one per colour
    assert chart.call_at_view(bars[4321]["start_s"] + 0.004, bars[4321]["lane"])["node_id"] == "c4321"
    assert chart.call_at_view(bars[4321]["start_s"] + 0.009, bars[4321]["lane"] + 0.45) is None
    assert not chart.grab().isNull()


def test_export_writes_the_same_figures_to_png_and_svg(view, tmp_path):
    png, svg = tmp_path / "run.png", tmp_path / "run.svg"
    assert view.export_to(png) and view.export_to(svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    image = QImage(str(png))
    assert image.width() > 1000 and image.height() > 500
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "Sub-calls per iteration" in text and "Call timeline" in text and "up to 4 at once" in text
    assert "Saved run.svg" in view.message.text()
    assert not view.export_to(tmp_path / "run.gif")
    assert view.message.text() == "Could not export the chart: a chart file must end in .png or .svg, not 'run.gif'"
    assert not view.export_to(tmp_path / "missing" / "run.png")
    assert view.message.text().startswith("Could not export the chart:") and "\n" not in view.message.text()
