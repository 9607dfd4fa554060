"""A fork keeps its parent's prefix, rebuilds the REPL from it, continues anew, and links to its parent."""

from __future__ import annotations

import asyncio

import pytest

from rlm_studio.engine.fork import ForkError, plan_fork
from rlm_studio.engine.run_tree import fold_nodes
from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store
from tests.engine.scripts import kinds, repl, run_session, script


def _parent(tmp_path):
    sub = script(tmp_path, "sub", rules=[], default="SUB-ANSWER")
    root = script(tmp_path, "root", responses=[
        repl("base = len(context)\nnote = llm_query('summarise')\nprint(base, note)"),
        repl("FINAL(base * 2)"),
    ])
    return run_session("q", "abcdef", RunSettings(root_model=root, sub_model=sub))


def _fork(plan, settings, events_out):
    async def go():
        session = RlmSession.from_fork(plan, settings, sinks=[events_out.append])
        return await session.run()
    return asyncio.run(go())


def test_fork_keeps_the_prefix_and_continues_with_an_edited_response(tmp_path):
    parent, events = _parent(tmp_path)
    assert parent.answer == "12"
    plan = plan_fork(events, 2, edited_response=repl("FINAL(f'{base + 100} {note}')"))
    assert plan.cells and plan.turns[0].feedback.startswith("Output of repl block 1")
    new_model = script(tmp_path, "never", responses=[])  # the edited response replaces the model's
    settings = RunSettings(root_model=new_model, sub_model=script(tmp_path, "sub2", rules=[], default="NEW"))
    fork_events: list = []
    result = _fork(plan, settings, fork_events)
    # REPL state rebuilt from the kept cell, with the recorded sub-call answer (not the new sub-model's)
    assert result.status == "completed" and result.answer == "106 SUB-ANSWER"
    started = kinds(fork_events, "run_started")[0]
    assert started.forked_from == {"run_id": parent.run_id, "node_id": plan.fork_node_id, "iteration": 2}
    # the kept iteration is in the new run's tree, with its code and output
    cells = kinds(fork_events, "cell_finished")
    assert cells[0].stdout == kinds(events, "cell_finished")[0].stdout
    its = [e.index for e in kinds(fork_events, "iteration_started")]
    assert its == [1, 2]
    nodes = fold_nodes(fork_events)
    assert len(nodes) == len(set(nodes)) and all(n.status != "running" for n in nodes.values())
    assert result.totals["subcalls"] == 1  # the kept sub-call counts, the replayed one does not


def test_fork_is_stored_with_its_parent_link(tmp_path):
    parent, events = _parent(tmp_path)
    store = Store.open(tmp_path / "runs.db")
    writer = store.writer()
    for e in events:
        writer.append(e)
    writer.flush()
    settings = RunSettings(root_model=script(tmp_path, "r2", responses=[repl("FINAL(base + 1)")]))
    fork_events: list = []
    result = _fork(plan_fork(store.load_events(parent.run_id), 2), settings, fork_events)
    for e in fork_events:
        writer.append(e)
    writer.close()
    assert result.answer == "7"
    row = store.get_run(result.run_id)
    assert row["parent_run_id"] == parent.run_id


def test_fork_at_a_missing_iteration_is_refused(tmp_path):
    _, events = _parent(tmp_path)
    with pytest.raises(ForkError, match="does not exist"):
        plan_fork(events, 9)
