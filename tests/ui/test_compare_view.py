"""Comparing real recorded runs: aligned steps, coloured diffs, totals deltas, the differences filter."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from rlm_studio.engine.settings import RunSettings
from rlm_studio.ui.compare_view import IMPROVEMENT, REGRESSION, CompareView, diff_html
from tests.engine.scripts import repl, run_session, script

# tests save their screenshot in a temporary folder; RLM_STUDIO_SCREENSHOTS=docs/screenshots refreshes the README's
SCREENSHOTS = Path(os.environ.get("RLM_STUDIO_SCREENSHOTS") or tempfile.mkdtemp(prefix="rlm-studio-shots-"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A batches three sub-calls; run B prints more in its first cell and asks only two, one by one."""
    folder = tmp_path_factory.mktemp("compare")
    sub = script(folder, "sub", rules=[{"match": "count (\\w+)", "content": "3"}], default="?")
    root_a = script(folder, "root_a", responses=[
        repl("words = context.split()\nprint(len(words))"),
        repl("n = llm_query_batched([f'count {w}' for w in words[:3]])\nprint(list(n))"),
        repl("FINAL(sum(int(x) for x in n))"),
    ])
    root_b = script(folder, "root_b", responses=[
        repl("words = context.split()\nprint(len(words), words[0])"),
        repl("n = [llm_query(f'count {w}') for w in words[:2]]\nprint(list(n))"),
        repl("FINAL(sum(int(x) for x in n))"),
    ])
    settings = dict(sub_model=sub)
    result_a, events_a = run_session("How many?", "apple pear plum fig", RunSettings(root_model=root_a, **settings))
    result_b, events_b = run_session("How many?", "apple pear plum fig", RunSettings(root_model=root_b, **settings))
    assert (result_a.answer, result_b.answer) == ("9", "6")
    return events_a, events_b


@pytest.fixture
def view(qtbot):
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1300, 820)
    return widget


def _totals_cell(view: CompareView, label: str, column: int):
    rows = [view.totals_table.verticalHeaderItem(r).text() for r in range(view.totals_table.rowCount())]
    return view.totals_table.item(rows.index(label), column)


def test_a_run_compared_with_itself_has_no_differences(view, runs):
    events_a, _ = runs
    view.set_runs([events_a, list(events_a)])
    assert view.rows and view.differing_rows == []
    assert "No differences" in view.summary.text()
    assert "No differences" in view.diff.toPlainText()
    for r in range(view.totals_table.rowCount()):
        assert view.totals_table.item(r, 1).text().endswith("(±0)")
    view.only_differences.setChecked(True)
    assert view.visible_steps() == []
    assert all(view.totals_table.isRowHidden(r) for r in range(view.totals_table.rowCount()))


def test_two_different_runs_show_the_differing_cells_and_totals(qtbot, view, runs):
    events_a, events_b = runs
    view.set_runs([events_a, events_b], ["A: batched", "B: one by one"])
    differing = {row.path: row.differing_fields for row in view.differing_rows}
    assert differing["iteration 1 / cell 1"] == ["code", "stdout"]
    assert differing["iteration 2 / cell 1"] == ["code", "stdout"]
    assert differing["iteration 2 / cell 1 / sub-call 3"] == ["presence"]
    assert differing["run"] == ["answer"]
    assert "iteration 1 / model call" not in differing and "iteration 3 / cell 1" not in differing
    assert f"{len(differing)} of {len(view.rows)} steps differ" in view.summary.text()

    # aligned table: one column per run, the missing sub-call marked in run B's column
    assert view.steps_table.columnCount() == 3
    row = [r.path for r in view.rows].index("iteration 2 / cell 1 / sub-call 3")
    assert view.steps_table.item(row, 1).text().startswith("count plum")
    assert view.steps_table.item(row, 2).text() == "— not in this run"

    # totals: B made one sub-call fewer (better: green) and its answer differs
    subcalls = _totals_cell(view, "sub-calls", 1)
    assert subcalls.text() == "2  (−1)"
    assert subcalls.foreground().color().name() == IMPROVEMENT
    assert _totals_cell(view, "sub-calls", 0).text() == "3"
    assert _totals_cell(view, "iterations", 1).text() == "3  (±0)"

    # the filter keeps only differing steps
    view.only_differences.setChecked(True)
    assert view.visible_steps() == [r.path for r in view.differing_rows]
    view.only_differences.setChecked(False)
    assert len(view.visible_steps()) == len(view.rows)

    # selecting a step shows its coloured diff
    first_cell = [r.path for r in view.rows].index("iteration 1 / cell 1")
    view.steps_table.selectRow(first_cell)
    text = view.diff.toPlainText().splitlines()
    assert "-print(len(words))" in text and "+print(len(words), words[0])" in text
    shown = view.diff.toHtml()
    assert "#fde0e0" in shown and "#dff5df" in shown          # removed red, added green

    # double-clicking a run's step asks to open that run at that node
    with qtbot.waitSignal(view.node_activated) as signal:
        view._double_clicked(first_cell, 2)
    assert signal.args == [events_b[0].run_id, view.rows[first_cell].items[1].node_id]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    view.steps_table.selectRow([r.path for r in view.rows].index("iteration 2 / cell 1"))
    view.show()
    qtbot.waitExposed(view)
    assert view.grab().save(str(SCREENSHOTS / "compare.png"))


def test_root_responses_can_be_compared_too(view, runs):
    events_a, events_b = runs
    view.set_runs([events_a, events_b])
    assert "iteration 1 / model call" not in [r.path for r in view.differing_rows]
    view.root_responses.setChecked(True)
    differing = {r.path: r.differing_fields for r in view.differing_rows}
    assert differing["iteration 1 / model call"] == ["response"]
    assert "iteration 3 / model call" not in differing          # the same FINAL response in both


def test_regressions_against_the_baseline_are_highlighted(view, runs):
    events_a, events_b = runs
    view.set_runs([events_b, events_a, events_b])   # B is the baseline now; A made one more sub-call
    assert view.totals_table.columnCount() == 3
    more = _totals_cell(view, "sub-calls", 1)
    assert more.text() == "3  (+1)" and more.foreground().color().name() == REGRESSION and more.font().bold()
    same = _totals_cell(view, "sub-calls", 2)
    assert same.text() == "2  (±0)" and same.foreground().color().name() != REGRESSION
    assert view.labels == ["A (baseline)", "B", "C"]
    # the third run equals the baseline; only the second one makes steps differ
    assert all(row.items[2] is not None for row in view.rows if row.items[0] is not None)


def test_diff_html_colours_removed_and_added_lines():
    html = diff_html("one\ntwo\n", "one\nthree\n", "A", "B")
    assert "background-color:#fde0e0" in html and "-two" in html
    assert "background-color:#dff5df" in html and "+three" in html
    assert "same text" in diff_html("x", "x")


def test_bad_input_is_refused_in_plain_words(view, runs):
    events_a, events_b = runs
    with pytest.raises(ValueError, match="at least two runs"):
        view.set_runs([events_a])
    with pytest.raises(ValueError, match="labels"):
        view.set_runs([events_a, events_b], ["only one"])
    with pytest.raises(ValueError, match="no recorded start"):
        view.set_runs([events_a, [e for e in events_b if e.kind != "run_started"]])
