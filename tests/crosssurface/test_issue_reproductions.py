"""The two reproductions of issue 9, as they were reported, on real runs."""

from __future__ import annotations

import json
from pathlib import Path

from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store
from tests.engine.scripts import run_session
from tests.support.scripts import repl, script

from .surfaces import cli_json


def test_one_llm_query_and_one_child_count_the_same_in_the_engine_the_app_and_storage(tmp_path: Path) -> None:
    """Reported: RunResult.totals 1 sub-call / 4 model calls, the app's RunTree 1 / 3, storage 2 / 4."""
    root = script(tmp_path, "root", rules=[
        {"match": "Question: child", "content": repl("FINAL('c')")},
    ], default=repl("a = llm_query('one sub-call')\nb = rlm_query('child')\nFINAL(a + b)"))
    sub = script(tmp_path, "sub", rules=[], default="s")
    result, events = run_session("top", "ctx", RunSettings(root_model=root, sub_model=sub, isolation="process"))
    assert result.status == "completed"
    engine = (result.totals["subcalls"], result.totals["model_calls"], result.totals["child_runs"])
    app = OpenRun.from_events(events).totals()
    db = tmp_path / "runs.db"
    with Store.open(db) as store:
        store.ingest_events(events)
        stored = store.subtree_totals(result.run_id)[events[0].node_id]
    shown = cli_json("show", result.run_id, "--db", str(db), "--json")["run"]
    # model calls: the root's one root call, the child's one, and the sub-call (a child run is not a sub-call)
    assert engine == (1, 3, 1)
    assert (app.subcalls, app.model_calls, app.child_runs) == engine
    assert (stored["subcalls"], stored["model_calls"], stored["child_runs"]) == engine
    assert (shown["subcalls"], shown["model_calls"], shown["child_runs"]) == engine


def test_five_sub_calls_and_a_child_say_five_in_the_root_subtree_and_list_the_child(tmp_path: Path) -> None:
    """Reported: `show --json` root subtree.subcalls said 6 (the child counted); child_runs missing."""
    root = script(tmp_path, "root", rules=[
        {"match": "Question: child", "content": repl("FINAL('c')")},
    ], default=repl("r = llm_query_batched(['1', '2', '3', '4', '5'])\nb = rlm_query('child')\nFINAL(b)"))
    sub = script(tmp_path, "sub", rules=[], default="s")
    context = tmp_path / "ctx.txt"
    context.write_text("some context", encoding="utf-8")
    db = tmp_path / "runs.db"
    ran = cli_json("run", "--context", str(context), "--question", "top", "--root-model", root, "--sub-model", sub,
                   "--isolation", "process", "--db", str(db), "--json")
    shown = cli_json("show", ran["run_id"], "--db", str(db), "--json")
    [listed] = cli_json("runs", "--db", str(db), "--json")
    root_node = next(n for n in shown["nodes"] if n["parent_id"] is None)
    for counts in (ran, shown["run"], listed, root_node["subtree"]):
        assert (counts["subcalls"], counts["child_runs"]) == (5, 1), json.dumps(counts)[:300]
