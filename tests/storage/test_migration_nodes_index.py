"""Migration 8 drops the nodes_parent index: saved older files open, and read the same events, nodes and tree."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from rlm_studio.engine.run_tree import NodeRecord, RunTree, Totals
from rlm_studio.storage import Store
from tests.support.files import FIXTURES


def _rounded(totals: Totals) -> Totals:
    return replace(totals, known_cost_usd=round(totals.known_cost_usd, 12))


def _indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


def _raw(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every event and node row as the file holds it."""
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT * FROM events ORDER BY run_id, seq").fetchall(),
                conn.execute("SELECT * FROM nodes ORDER BY run_id, id").fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize("fixture", ["schema_v1.db", "schema_v6.db"])
def test_an_old_file_loses_the_index_and_reads_the_same(tmp_path: Path, fixture: str) -> None:
    copy = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, copy)
    assert "nodes_parent" in _indexes(copy)
    events_before, _ = _raw(copy)
    with Store.open(copy) as store:
        run_ids = [r["id"] for r in store.list_runs()]
        assert run_ids
        for run_id in run_ids:
            events = store.load_events(run_id)
            assert [e.seq for e in events] == sorted(e.seq for e in events) and events
            stored_tree = RunTree.from_nodes(NodeRecord.from_row(n) for n in store.load_nodes(run_id))
            folded = RunTree.from_events(events)   # (a v1 file's node rows hold more in `extra`: not compared)
            assert stored_tree.structure() == folded.structure() and len(folded) > 3
            # the same figures (a cost summed in another order may differ in its last bits)
            assert all(_rounded(stored_tree.totals(n)) == _rounded(folded.totals(n)) for n in folded.nodes)
    assert "nodes_parent" not in _indexes(copy)
    events_after, nodes_after = _raw(copy)
    assert events_after == events_before and nodes_after   # the migration itself changes no row


def test_a_new_file_has_no_parent_index_and_stores_a_run(store: Store, db_path: Path) -> None:
    from tests.support.sample_runs import wide_run

    events = wide_run(200, run_id="wide")
    store.ingest_events(events)
    assert "nodes_parent" not in _indexes(db_path)
    assert len(store.load_nodes("wide")) == len(RunTree.from_events(events))
    assert [e.to_dict() for e in store.load_events("wide")] == [e.to_dict() for e in events]
