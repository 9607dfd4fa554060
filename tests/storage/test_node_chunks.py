"""Finished sub-call nodes are stored in chunks (node_chunks); every reader of a run's nodes gets what one row
each gave: load_nodes, load_tree, the column tree that opens a large run, totals, deletes, interrupted runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rlm_studio.engine.events import Event
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.storage import Store
from rlm_studio.storage.node_chunks import CHUNK_NODES, NODE_FIELDS
from tests.support.sample_runs import wide_run


def count_chunked_nodes(conn: Any, run_id: str) -> int:
    return int(conn.execute("SELECT coalesce(sum(count), 0) FROM node_chunks WHERE run_id = ?", (run_id,)).fetchone()[0])


def _records(tree: RunTree) -> dict[str, dict[str, Any]]:
    return {node_id: tree.node(node_id).to_dict() for node_id in tree.nodes}


def _same_totals(a: Any, b: Any) -> bool:
    """Equal totals; the cost summed in another order may differ in its last bits."""
    x, y = a.to_dict(), b.to_dict()
    return x.pop("known_cost_usd") == pytest.approx(y.pop("known_cost_usd"), rel=1e-12) and x == y


def _live(events: list[Event]) -> RunTree:
    return RunTree.from_events(events)


def test_sub_calls_finished_across_batches_read_back_as_the_live_tree_has_them(store: Store) -> None:
    """Small batches, as the live writer stores them: many sub-calls start in one batch and finish in a later
    one (their running rows are replaced by chunk rows), and each batch is a new writer state read back from
    the file."""
    events = wide_run(1500, run_id="wide")
    for start in range(0, len(events), 37):
        store.ingest_events(events[start:start + 37])
    conn = store._conn
    live = _live(events)
    subcalls = sum(1 for n in live.nodes.values() if n.kind == "subcall")
    assert subcalls > 1000
    assert count_chunked_nodes(conn, "wide") == subcalls
    assert conn.execute("SELECT count(*) FROM node_rows WHERE run_id = 'wide' AND kind = 'subcall'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM node_rows WHERE run_id = 'wide'").fetchone()[0] == len(live.nodes) - subcalls

    stored = store.load_tree("wide")
    assert _records(stored) == _records(live)
    assert stored.structure() == live.structure()
    assert _same_totals(stored.totals(), live.totals())
    assert [n["id"] for n in store.load_nodes("wide")] == sorted(live.nodes, key=lambda i: (live.node(i).order, i))

    columns = store.load_column_tree("wide")
    assert columns.structure() == live.structure()
    assert _same_totals(columns.totals(), live.totals())
    sub = next(n for n in live.nodes.values() if n.kind == "subcall")
    record = columns.node(sub.id)
    assert record.to_dict() == {**sub.to_dict(), "extra": {}}   # a sub-call's extra is read with its details
    assert store.get_run("wide")["subcalls"] == live.totals().subcalls == subcalls


def test_a_large_batch_is_split_into_chunks_of_at_most_chunk_nodes(store: Store) -> None:
    events = wide_run(3 * CHUNK_NODES, run_id="wide")   # one batch
    store.ingest_events(events)
    counts = [c for (c,) in store._conn.execute("SELECT count FROM node_chunks WHERE run_id = 'wide'")]
    assert len(counts) >= 2 and max(counts) <= CHUNK_NODES
    assert sum(counts) == sum(1 for n in _live(events).nodes.values() if n.kind == "subcall")
    assert _records(store.load_tree("wide")) == _records(_live(events))


def test_a_run_cut_off_mid_batch_keeps_its_running_sub_calls_as_rows_marked_interrupted(store: Store) -> None:
    events = wide_run(400, run_id="cut")
    started = [i for i, e in enumerate(events) if e.kind == "subcall_started"]
    cut = started[len(started) // 2] + 1            # a sub-call started, not finished
    store.ingest_events(events[:cut])
    running = [n for n in _live(events[:cut]).nodes.values() if n.kind == "subcall" and n.end_seq is None]
    assert running
    conn = store._conn
    conn.execute("UPDATE runs SET writer_pid = NULL, heartbeat_at = 0 WHERE id = 'cut'")
    assert store.mark_interrupted() == ["cut"]
    tree = store.load_tree("cut")
    assert {tree.node(n.id).status for n in running} == {"interrupted"}
    assert _records(store.load_column_tree("cut")).keys() == _records(_live(events[:cut])).keys()


def test_a_chunk_written_with_other_columns_reads_them_by_name_with_defaults_for_the_missing(store: Store) -> None:
    events = wide_run(100, run_id="old")
    store.ingest_events(events)
    conn = store._conn
    names = [n for n in NODE_FIELDS if n != "cached_tokens"] + ["a_later_column"]
    sub = next(n for n in _live(events).nodes.values() if n.kind == "subcall")
    values = {**sub.to_dict(), "id": "x1", "start_seq": 10 ** 6, "order": 10 ** 6, "a_later_column": 7}
    row = [values[n] for n in names]
    conn.execute("INSERT INTO node_chunks(run_id, first_seq, last_seq, count, columns, rows) VALUES "
                 "('old', ?, ?, 1, ?, ?)", (10 ** 6, 10 ** 6, json.dumps(names), json.dumps([row])))
    found = next(n for n in store.load_nodes("old") if n["id"] == "x1")
    assert found["cached_tokens"] == 0 and found["input_tokens"] == sub.input_tokens and "a_later_column" not in found
    assert store.load_column_tree("old").node("x1").summary == sub.summary


def test_deleting_a_run_deletes_its_chunks_and_keeps_the_others(store: Store) -> None:
    store.ingest_events(wide_run(300, run_id="gone"))
    store.ingest_events(wide_run(300, run_id="kept"))
    store.delete_run("gone")
    runs = {r for (r,) in store._conn.execute("SELECT DISTINCT run_id FROM node_chunks")}
    assert runs == {"kept"}
    assert count_chunked_nodes(store._conn, "kept") > 0


def test_the_live_writer_moves_sub_calls_into_chunks_as_they_finish_across_its_batches(store: Store) -> None:
    """The writer thread keeps its fold between batches (no reload): flushing after every 23 events puts many
    sub-calls' start and finish in different batches."""
    events = wide_run(600, run_id="live")
    writer = store.writer()
    saw_running = 0
    for start in range(0, len(events), 23):
        for event in events[start:start + 23]:
            writer.append(event)
        writer.flush()
        running = store._conn.execute("SELECT count(*) FROM node_rows WHERE run_id = 'live' AND kind = 'subcall' "
                                      "AND status = 'running'").fetchone()[0]
        finished = store._conn.execute("SELECT count(*) FROM node_rows WHERE run_id = 'live' AND kind = 'subcall' "
                                       "AND status != 'running'").fetchone()[0]
        assert finished == 0    # a finished sub-call is only in a chunk
        saw_running = max(saw_running, running)
    writer.close()
    assert saw_running > 0 and running == 0
    live = _live(events)
    assert _records(store.load_tree("live")) == _records(live)
    assert count_chunked_nodes(store._conn, "live") == sum(1 for n in live.nodes.values() if n.kind == "subcall")


def test_the_nodes_view_shows_every_node_as_one_row_with_its_stored_values(store: Store) -> None:
    """Anyone's own SQL over `nodes` (as before chunks) sees chunked sub-calls as rows, values as a row holds them."""
    events = wide_run(400, run_id="view")
    for start in range(0, len(events), 57):
        store.ingest_events(events[start:start + 57])
    conn = store._conn
    cursor = conn.execute('SELECT * FROM nodes WHERE run_id = ? ORDER BY "order", id', ("view",))
    names = [d[0] for d in cursor.description]
    from_view = [dict(zip(names, row, strict=True)) for row in cursor]
    loaded = store.load_nodes("view")
    assert len(from_view) == len(loaded) == len(_live(events).nodes)
    assert count_chunked_nodes(conn, "view") > 100
    for row, node in zip(from_view, loaded, strict=True):
        assert type(row["tokens_estimated"]) is int and type(row["extra"]) is str
        assert {**row, "tokens_estimated": bool(row["tokens_estimated"]), "extra": json.loads(row["extra"])} == node
    counts = dict(conn.execute("SELECT kind, count(*) FROM nodes WHERE run_id = 'view' GROUP BY kind").fetchall())
    assert counts["subcall"] == sum(1 for n in _live(events).nodes.values() if n.kind == "subcall")
