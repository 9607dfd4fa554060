"""The replay player over real recorded runs: stepping, seeking, playing, and re-execution."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from rlm_studio.analysis.replay import Replay
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store
from rlm_studio.ui.replay_view import ReplayView
from tests.engine.scripts import repl, run_session, script
from tests.ui.ui_helpers import run_coro

# tests save their screenshot in a temporary folder; RLM_STUDIO_SCREENSHOTS=docs/screenshots refreshes the README's
SCREENSHOTS = Path(os.environ.get("RLM_STUDIO_SCREENSHOTS") or tempfile.mkdtemp(prefix="rlm-studio-shots-"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A real run: split the context, a batch of three sub-calls, then FINAL."""
    folder = tmp_path_factory.mktemp("replay")
    sub = script(folder, "sub", rules=[{"match": "count (\\w+)", "content": "3", "delay_ms": 20}], default="?")
    root = script(folder, "root", responses=[
        repl("words = context.split()\nprint(len(words))"),
        repl("n = llm_query_batched([f'count {w}' for w in words[:3]])\nprint(n)"),
        repl("FINAL(sum(int(x) for x in n))"),
    ])
    result, events = run_session("How many?", "apple pear plum fig", RunSettings(root_model=root, sub_model=sub))
    assert result.answer == "9"
    return events


@pytest.fixture
def view(qtbot, recorded):
    widget = ReplayView()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.load(recorded)
    return widget


def _prefix_tree(view: ReplayView, position: int) -> RunTree:
    return RunTree.from_events(view.events[:position])


def test_stepping_grows_the_tree_event_by_event_to_the_final_tree(view, recorded):
    whole = RunTree.from_events(recorded)
    assert len(view.tree) == 0 and view.position == 0
    sizes = []
    while view.step_forward():
        sizes.append(len(view.tree))
        if view.position in (5, 17):
            assert view.tree.same_as(_prefix_tree(view, view.position))
    assert view.position == len(view.events) == len(Replay(recorded))
    assert sizes == sorted(sizes) and sizes[0] == 1          # grew one node at a time, never shrank
    assert view.tree.same_as(whole)
    assert len(view.tree) == len(whole)
    assert view.tree.totals() == whole.totals()
    assert view.run_view.model.rowCount() == 1
    figures = view.run_view.header.figures
    assert figures["subcalls"] == 3 and figures["input_tokens"] == whole.totals().input_tokens
    assert not view.forward_button.isEnabled() and view.back_button.isEnabled()
    assert "Event" in view.event_label.text() and "run finished" in view.event_label.text()


def test_scrubber_seeks_backward_and_forward(view):
    n = len(view.events)
    view.slider.setValue(n - 3)
    assert view.position == n - 3
    assert view.tree.same_as(_prefix_tree(view, n - 3))
    view.slider.setValue(4)                       # back: rebuilt from the cursor
    assert view.position == 4 and view.tree.same_as(_prefix_tree(view, 4))
    assert f"Event <b>4</b> of {n}" in view.event_label.text()
    view.step_back()
    assert view.position == 3 and view.tree.same_as(_prefix_tree(view, 3))
    assert view.slider.value() == 3               # the scrubber follows the buttons
    view.slider.setValue(n)
    assert view.tree.same_as(RunTree.from_events(view.events))
    view.seek(0)
    assert len(view.tree) == 0 and view.run_view.model.rowCount() == 0


def test_play_as_fast_as_possible_reaches_the_end(qtbot, view):
    view.set_speed(None)
    view.play()
    assert view.playing and view.play_button.text().startswith("⏸")
    qtbot.waitUntil(lambda: view.position == len(view.events), timeout=5000)
    assert not view.playing
    assert view.tree.same_as(RunTree.from_events(view.events))


def test_play_at_ten_times_keeps_the_recorded_rhythm(qtbot, view):
    replay = Replay(view.events)
    expected = sum(replay.delay_before(i, speed=10.0) for i in range(len(replay)))
    view.speed_box.setCurrentIndex(4)             # "10×"
    assert view.speed == 10.0
    started = time.perf_counter()
    view.play()
    qtbot.waitUntil(lambda: not view.playing, timeout=10000)
    elapsed = time.perf_counter() - started
    assert view.position == len(view.events)
    assert elapsed >= expected * 0.8              # it waited the scaled gaps between events


def test_pause_stops_playback_midway(qtbot, view):
    view.set_speed(0.5)
    view.play()
    qtbot.waitUntil(lambda: view.position >= 2, timeout=5000)
    view.pause()
    stopped_at = view.position
    qtbot.wait(150)
    assert view.position == stopped_at < len(view.events)


def test_reexecuting_a_stored_run_shows_no_differences(qtbot, qloop, view, recorded, tmp_path):
    store = Store.open(tmp_path / "runs.db")
    writer = store.writer()
    for event in recorded:
        writer.append(event)
    writer.close()
    view.load(store.load_events(recorded[0].run_id))
    qtbot.mouseClick(view.reexecute_button, Qt.MouseButton.LeftButton)
    task = view.reexecution_task
    assert task is not None and not view.reexecute_button.isEnabled()
    assert run_coro(qloop, task) == []
    assert view.last_differences == []
    assert "No differences" in view.result.toPlainText()
    assert view.reexecute_button.isEnabled()
    store.close()


def test_reexecuting_an_altered_recording_shows_the_altered_cell(qtbot, qloop, view, recorded):
    second_cell = [e for e in recorded if e.kind == "cell_finished"][1]
    altered = [dataclasses.replace(e, stdout="['9', '9', '9']\n") if e is second_cell else e for e in recorded]
    view.load(altered)
    view.show()
    qtbot.waitExposed(view)
    view.seek(5)
    differences = run_coro(qloop, view.reexecute())
    assert [(d["path"], d["field"]) for d in differences] == [("iteration 2 / cell 1", "stdout")]
    text = view.result.toPlainText()
    assert "1 difference" in text and "iteration 2 / cell 1" in text
    lines = text.splitlines()
    assert "-['9', '9', '9']" in lines                               # recorded, shown as removed
    assert any(line.startswith("+") and "'3', '3', '3'" in line for line in lines)  # what ran now
    # the link points at the recorded cell: following it shows the whole run and selects that cell
    view._result_link(QUrl(f"node:{differences[0]['node_a']}"))
    assert view.position == len(view.events)
    assert view.run_view.selected_node == differences[0]["node_a"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert view.splitter.sizes()[1] >= sum(view.splitter.sizes()) // 4   # room made to read the diff
    view.seek(len(view.events) - 6)
    assert view.grab().save(str(SCREENSHOTS / "replay.png"))


def test_loading_events_without_a_run_is_refused(view):
    with pytest.raises(ValueError, match="does not start with a run"):
        view.load([])


def test_events_read_from_an_export_replay_the_same(view, recorded):
    view.load([e.to_dict() for e in recorded], title="Imported run")
    assert "Imported run" in view.title.text()
    view.seek(len(view.events))
    assert view.tree.same_as(RunTree.from_events(recorded))


def test_player_keys_work_from_inside_the_tree(qtbot, view):
    view.show()
    view.activateWindow()
    qtbot.waitActive(view)              # shortcuts go to the active window
    view.run_view.tree_view.setFocus()
    qtbot.waitUntil(view.run_view.tree_view.hasFocus)
    qtbot.keyClick(view.run_view.tree_view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.run_view.tree_view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert view.position == 2
    qtbot.keyClick(view.run_view.tree_view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert view.position == 1
    qtbot.keyClick(view.run_view.tree_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert view.position == len(view.events)


def test_a_replay_midway_is_timed_by_its_recording_not_the_clock(qtbot, recorded):
    day = 86_400.0  # the same run, recorded a day ago
    earlier = [dataclasses.replace(e, ts=e.ts - day) for e in recorded]
    widget = ReplayView()
    qtbot.addWidget(widget)
    widget.load(earlier)
    middle = len(earlier) // 2
    widget.seek(middle)
    assert widget.run_view.running  # not finished at this point of the recording
    elapsed = widget.run_view.header.figures["elapsed_s"]
    assert 0 < elapsed <= earlier[-1].ts - earlier[0].ts  # within the recording's span (the clock: a day)
