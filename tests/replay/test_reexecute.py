"""Re-execution of a stored run reproduces its REPL output, and shows the cell where it does not."""

from __future__ import annotations

import asyncio

from rlm_studio.analysis.reexecute import cell_differences, reexecute
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store
from tests.engine.scripts import kinds, repl, run_session, script


def _recorded_run(tmp_path):
    sub = script(tmp_path, "sub", rules=[{"match": "count (\\w+)", "content": "3"}], default="?")
    root = script(tmp_path, "root", responses=[
        repl("words = context.split()\nprint(len(words))"),
        repl("n = llm_query_batched([f'count {w}' for w in words[:3]])\nprint(n)"),
        repl("FINAL(sum(int(x) for x in n))"),
    ])
    return run_session("How many?", "apple pear plum fig", RunSettings(root_model=root, sub_model=sub))


def test_reexecution_of_a_stored_run_reports_no_differences(tmp_path):
    result, events = _recorded_run(tmp_path)
    store = Store.open(tmp_path / "runs.db")
    writer = store.writer()
    for e in events:
        writer.append(e)
    writer.close()
    stored = store.load_events(result.run_id)
    new_result, new_events = asyncio.run(reexecute(stored))
    assert new_result.answer == result.answer == "9"
    assert cell_differences(stored, new_events) == []
    assert len(kinds(new_events, "subcall_finished")) == 3


def test_an_altered_recording_is_reported_at_its_cell(tmp_path):
    result, events = _recorded_run(tmp_path)
    second = kinds(events, "cell_finished")[1]
    second.stdout = "['9', '9', '9']\n"
    _, new_events = asyncio.run(reexecute(events))
    diffs = cell_differences(events, new_events)
    assert len(diffs) == 1
    assert diffs[0]["path"] == "iteration 2 / cell 1" and diffs[0]["field"] == "stdout"
    assert diffs[0]["a"] == "['9', '9', '9']\n" and diffs[0]["b"] == "['3', '3', '3']\n"
