"""Failure-mode findings kept per run (history badges and filter) and the fork links between runs."""

from __future__ import annotations

from rlm_studio.storage import Store


def _run(store: Store, run_id: str, parent: str | None = None) -> None:
    from rlm_studio.engine import events as ev

    writer = store.writer()
    forked = {"run_id": parent, "node_id": "n2", "iteration": 2} if parent else None
    writer.append(ev.RunStarted(run_id=run_id, seq=1, node_id="n1", question=f"q {run_id}", forked_from=forked))
    writer.append(ev.RunFinished(run_id=run_id, seq=2, node_id="n1", status="completed", answer="a"))
    writer.close()


def test_findings_are_saved_replaced_listed_and_filtered(tmp_path):
    store = Store.open(tmp_path / "r.db")
    _run(store, "run-a")
    _run(store, "run-b")
    assert store.get_run("run-a")["findings_computed"] is False
    findings = [{"kind": "repeated_errors", "reason": "3 cells failed alike", "nodes": ["n5", "n7"]},
                {"kind": "iteration_limit", "reason": "stopped at 4", "nodes": ["n1"]}]
    store.save_findings("run-a", findings)
    store.save_findings("run-b", [])
    assert store.findings("run-a") == findings
    run_a = store.get_run("run-a")
    assert run_a["finding_kinds"] == ["iteration_limit", "repeated_errors"] and run_a["findings_computed"] is True
    assert store.get_run("run-b")["findings_computed"] is True and store.get_run("run-b")["finding_kinds"] == []
    assert [r["id"] for r in store.list_runs(finding="repeated_errors")] == ["run-a"]
    assert {r["id"]: r["finding_kinds"] for r in store.list_runs()} == {"run-a": ["iteration_limit", "repeated_errors"],
                                                                "run-b": []}
    store.save_findings("run-a", findings[:1])          # replaced, not appended
    assert store.findings("run-a") == findings[:1]
    store.delete_run("run-a")
    assert store._conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def test_forks_are_listed_from_their_parent(tmp_path):
    store = Store.open(tmp_path / "r.db")
    _run(store, "parent")
    _run(store, "fork-1", parent="parent")
    _run(store, "fork-2", parent="parent")
    assert [r["id"] for r in store.forks("parent")] == ["fork-1", "fork-2"]
    assert store.get_run("fork-1")["parent_run_id"] == "parent" and store.forks("fork-1") == []
