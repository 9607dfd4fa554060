"""Charts of a real recorded run: bars per iteration, timeline lanes for parallel calls, rendering, clicks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from rlm_studio.analysis.charts import run_charts
from rlm_studio.engine.settings import RunSettings
from rlm_studio.ui.charts_view import ChartsView, nice_step
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
    widget.resize(1200, 620)
    widget.set_events(recorded)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_one_bar_per_iteration_sized_by_its_figures(view, recorded):
    series = run_charts(recorded)["iterations"]
    assert [r["subcalls"] for r in series] == [4, 2, 0]
    for chart in (view.tokens_chart, view.cost_chart, view.subcalls_chart):
        assert len(chart.bars) == 3 and chart.labels == ["1", "2", "3"]
    four, two, none = view.subcalls_chart.bars
    assert none.height() == 0
    assert four.height() == pytest.approx(2 * two.height(), abs=1.0)
    tokens = view.tokens_chart
    assert tokens.values == [[r["input_tokens"], r["output_tokens"]] for r in series]
    tallest = max(range(3), key=lambda i: sum(tokens.values[i]))
    assert tokens.bars[tallest].height() == max(b.height() for b in tokens.bars)
    assert all(view.tokens_chart.rect().contains(b.toRect()) for b in tokens.bars)


def test_timeline_puts_overlapping_calls_in_separate_lanes(view):
    timeline = view.timeline_chart
    assert timeline.lanes == 4 and timeline.timeline["max_parallel"] == 4
    assert len(timeline.bars) == 3 + 6                       # three root calls, six sub-calls
    batch = [b for b in timeline.timeline["bars"] if b["kind"] == "subcall" and b["iteration"] == 1]
    assert sorted(b["lane"] for b in batch) == [0, 1, 2, 3]
    rects = {node: rect for node, rect in timeline.bars}
    lanes_y = {rects[b["node_id"]].top() for b in batch}
    assert len(lanes_y) == 4                                  # drawn on four different rows
    left = max(rects[b["node_id"]].left() for b in batch)
    right = min(rects[b["node_id"]].right() for b in batch)
    assert left < right                                       # and overlapping in time
    sequential = [b for b in timeline.timeline["bars"] if b["kind"] == "subcall" and b["iteration"] == 2]
    assert [b["lane"] for b in sequential] == [0, 0]
    assert timeline.minimumHeight() > 4 * 16
    assert "up to <b>4</b> at once" in view.summary.text()


def test_charts_render_to_a_picture(view, tmp_path):
    image = view.grab().toImage()
    assert not image.isNull() and image.width() >= 1000
    bar = view.subcalls_chart.bars[0].center().toPoint()
    colour = view.subcalls_chart.grab().toImage().pixelColor(bar)
    assert colour.name() == "#2e7d32"                         # the bar is painted where it was laid out
    path = tmp_path / "charts.png"
    assert view.grab().save(str(path)) and path.stat().st_size > 5000
    assert not QImage(str(path)).isNull()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(SCREENSHOTS / "charts.png"))


def test_clicking_a_call_or_an_iteration_names_its_node(qtbot, view):
    timeline = view.timeline_chart
    node_id, rect = timeline.bars[-1]
    with qtbot.waitSignal(view.node_activated) as signal:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert signal.args == [node_id]
    with qtbot.waitSignal(view.node_activated) as signal:
        qtbot.mouseClick(view.tokens_chart, Qt.MouseButton.LeftButton,
                         pos=view.tokens_chart.bars[1].center().toPoint())
    assert signal.args == [view.series[1]["node_id"]]
    with qtbot.assertNotEmitted(view.node_activated):
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))


def test_a_run_still_going_and_bad_input(qtbot, recorded):
    view = ChartsView()
    qtbot.addWidget(view)
    cut = next(i for i, e in enumerate(recorded) if e.kind == "subcall_started") + 1
    view.set_events(recorded[:cut])                      # cut while the batch is in flight
    assert len(view.tokens_chart.bars) == len(view.series) == 1
    running = [b for b in view.timeline["bars"] if b["running"]]
    assert [b["kind"] for b in running] == ["subcall"]
    assert view.timeline_chart.colour(running[0]).alpha() < 255   # drawn faded
    with pytest.raises(ValueError, match="no run to chart"):
        view.set_events([])


def test_nice_steps_are_round_numbers():
    assert nice_step(10, 5) == 2
    assert nice_step(0.17, 6) == pytest.approx(0.05)
    assert nice_step(1234, 4) == 500
    assert nice_step(0) == 1.0
