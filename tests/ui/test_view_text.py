"""The Compare and Replay tabs' text without Qt (compare_text, replay_text), over real recorded runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rlm_studio.analysis.alignment import align_items
from rlm_studio.analysis.reexecute import cell_differences
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.settings import RunSettings
from rlm_studio.ui.compare_text import (
    MISSING_TEXT,
    aligned_rows,
    delta_text,
    diff_html,
    is_notable,
    item_summary,
    metric_text,
    stored_events,
)
from rlm_studio.ui.replay_text import describe_event, differences_html
from tests.engine.scripts import repl, run_session, script


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same question answered with two sub-calls, then with three (one more step, another answer)."""
    folder = tmp_path_factory.mktemp("view-text")
    sub = script(folder, "sub", rules=[], default="2")
    runs = []
    for n in (2, 3):
        root = script(folder, f"root{n}", responses=[
            repl(f"r = [llm_query(f'count {{i}}') for i in range({n})]\nprint(r)"), repl("FINAL(len(r))")])
        runs.append(run_session("How many?", "ctx", RunSettings(root_model=root, sub_model=sub))[1])
    return runs


def test_the_text_modules_do_not_import_qt():
    code = ("import sys\nimport rlm_studio.ui.compare_text, rlm_studio.ui.replay_text\n"
            "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_aligned_rows_mark_the_extra_step_and_the_changed_answer(two_runs):
    a, b = (stored_events(events) for events in two_runs)
    rows = aligned_rows([align_items(a), align_items(b)])
    extra = [r for r in rows if "presence" in r.differing_fields]
    assert [r.path for r in extra] == ["iteration 1 / cell 1 / sub-call 3"]
    assert item_summary(extra[0].items[0]) == MISSING_TEXT
    assert "count 2" in item_summary(extra[0].items[1]) and "→ 2" in item_summary(extra[0].items[1])
    root = next(r for r in rows if r.kind == "run")
    assert "answer" in root.differing_fields
    assert [item_summary(i) for i in root.items] == ["completed: 2", "completed: 3"]


def test_diffs_figures_and_deltas():
    html = diff_html("a\nb\nc", "a\nB\nc", "first", "second")
    assert "--- first" in html and "+++ second" in html and "color:#8e0000'>-b<" in html and ">+B<" in html
    assert diff_html("same", "same") == "<p><i>same text</i></p>"
    assert diff_html("<x>", "<y>").count("&lt;") == 2
    assert metric_text("cost_usd", None) == "?" and metric_text("wall_s", 1.234) == "1.23 s"
    assert metric_text("subcalls", 1234) == "1,234"
    assert delta_text("subcalls", 3) == "+3" and delta_text("subcalls", 0) == "±0"
    assert delta_text("wall_s", -0.25) == "−250 ms" and delta_text("wall_s", 2.5) == "+2.50 s"
    assert is_notable("subcalls", 5, 1) and not is_notable("subcalls", 5, 0)
    assert not is_notable("wall_s", 10.0, 0.2) and is_notable("wall_s", 10.0, 0.6)


def test_replay_lines_and_reexecution_results(two_runs):
    events = stored_events(two_runs[0])
    tree = RunTree.from_events(events)
    cell = next(e for e in events if e.kind == "cell_started")
    line = describe_event(cell, tree)
    assert line.startswith("cell started — Code cell 1: r = [llm_query(") and len(line) <= 120
    assert differences_html([], 1.25).startswith("<p><b style='color:#2e7d32'>No differences</b> (re-executed in 1.2")
    other = stored_events(two_runs[1])
    differences = cell_differences(events, other)
    assert differences, "the two runs printed different lists"
    text = differences_html(differences)
    assert f"{len(differences)} difference" in text and "recorded" in text and "re-executed" in text
    assert "href='node:" in text
