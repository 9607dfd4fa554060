"""Sub-call events are stored in chunks (event_chunks); every reader gets the same events as from one row each:
the whole stream, events by number, the run's own events, the last event's time, counts, deletes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from rlm_studio.engine.events import Event, RunFinished
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.storage import Store
from rlm_studio.storage.event_chunks import CHUNK_EVENTS, CHUNKED_KINDS, count_events
from tests.support.files import FIXTURES
from tests.support.sample_runs import wide_run


def _dicts(events: list[Event]) -> list[dict[str, object]]:
    return [e.to_dict() for e in events]


def test_a_wide_run_reads_back_the_same_from_chunks(store: Store) -> None:
    events = wide_run(3000, run_id="wide")        # batches of 40 sub-calls, 80 events per chunk
    store.ingest_events(events)
    conn = store._conn
    chunks = conn.execute("SELECT count(*) FROM event_chunks WHERE run_id = 'wide'").fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM events WHERE run_id = 'wide'").fetchone()[0]
    subcall_events = sum(1 for e in events if e.kind in CHUNKED_KINDS)
    assert subcall_events > 2000 and rows == len(events) - subcall_events and 0 < chunks < subcall_events / 40
    assert count_events(conn, "wide") == count_events(conn) == len(events)
    assert _dicts(store.load_events("wide")) == _dicts(events)
    tree = RunTree.from_events(events)
    assert store.get_run("wide")["subcalls"] == tree.totals().subcalls


def test_events_by_number_come_from_chunks_and_rows_alike(store: Store) -> None:
    events = wide_run(300, run_id="wide")
    store.ingest_events(events)
    by_seq = {e.seq: e for e in events}
    sub = next(e for e in events if e.kind == "subcall_finished")
    cell = next(e for e in events if e.kind == "cell_started")
    wanted = [sub.seq, cell.seq, sub.seq - 1, None, 10 ** 9]
    got = store.load_events_at("wide", wanted)
    assert _dicts(got) == _dicts([by_seq[s] for s in sorted({sub.seq, cell.seq, sub.seq - 1})])
    first, last = events[0], events[-1]
    own = store.load_run_events("wide", (first.seq, sub.seq))
    assert {first.seq, sub.seq, last.seq} <= {e.seq for e in own}
    assert [e.seq for e in own] == sorted(e.seq for e in own)


def test_more_sub_call_events_than_a_chunk_holds_are_split_and_all_found(store: Store) -> None:
    events = wide_run(2 * CHUNK_EVENTS, run_id="wide")   # stored in one batch: more sub-call events than a chunk
    store.ingest_events(events)
    conn = store._conn
    sizes = [length // 8 for (length,) in conn.execute("SELECT length(seqs) FROM event_chunks ORDER BY first_seq")]
    assert len(sizes) >= 2 and max(sizes) <= CHUNK_EVENTS and sum(sizes) == sum(1 for e in events if e.kind in CHUNKED_KINDS)
    last_sub = [e for e in events if e.kind in CHUNKED_KINDS][-1]
    assert _dicts(store.load_events_at("wide", [last_sub.seq])) == _dicts([last_sub])


def test_an_interrupted_run_ends_at_its_last_chunked_event(store: Store) -> None:
    events = wide_run(200, run_id="cut")
    last_sub = max(i for i, e in enumerate(events) if e.kind == "subcall_finished")
    store.ingest_events(events[:last_sub + 1])       # the writer died after this sub-call
    assert store.mark_interrupted() == ["cut"]
    run = store.get_run("cut")
    assert run["status"] == "interrupted" and run["ended_at"] == events[last_sub].ts


def test_deleting_a_run_deletes_its_chunks(store: Store) -> None:
    store.ingest_events(wide_run(200, run_id="gone"))
    store.ingest_events(wide_run(200, run_id="kept"))
    store.delete_run("gone")
    conn = store._conn
    assert conn.execute("SELECT DISTINCT run_id FROM event_chunks").fetchall() == [("kept",)]
    assert count_events(conn, "gone") == 0 and count_events(conn, "kept") > 0


def test_an_older_file_reads_its_rows_and_adds_chunks_for_new_runs(tmp_path: Path) -> None:
    """A file written before chunks: its runs read as before (their sub-call events stay rows), and a run
    stored after the upgrade reads back too, in the same file."""
    copy = tmp_path / "v6.db"
    shutil.copy(FIXTURES / "schema_v6.db", copy)
    raw = sqlite3.connect(copy)
    old_runs = [r[0] for r in raw.execute("SELECT id FROM runs")]
    old_counts = {run: raw.execute("SELECT count(*) FROM events WHERE run_id = ?", (run,)).fetchone()[0]
                  for run in old_runs}
    raw.close()
    with Store.open(copy) as store:
        before = {run: _dicts(store.load_events(run)) for run in old_runs}
        assert all(len(before[run]) == old_counts[run] > 0 for run in old_runs)
        events = wide_run(300, run_id="new")
        store.ingest_events(events[:-1])
        store.ingest_events([e for e in events[-1:] if isinstance(e, RunFinished)])   # finished in a later batch
        assert _dicts(store.load_events("new")) == _dicts(events)
        assert {run: _dicts(store.load_events(run)) for run in old_runs} == before
        assert store._conn.execute("SELECT count(*) FROM event_chunks WHERE run_id != 'new'").fetchone()[0] == 0


def test_events_stored_out_of_order_are_found_in_overlapping_chunks(store: Store) -> None:
    """A later batch whose chunk's range spans an earlier chunk (numbers out of order): each event is found."""
    from rlm_studio.engine.events import RunStarted, SubcallStarted

    def sub(seq: int) -> SubcallStarted:
        return SubcallStarted(run_id="odd", seq=seq, ts=1000.0 + seq, node_id=f"s{seq}", parent_id="n1", prompt="p")

    store.ingest_events([RunStarted(run_id="odd", seq=1, ts=1000.0, node_id="n1", question="q")]
                        + [sub(s) for s in range(10, 21)])
    store.ingest_events([sub(s) for s in (5, 6, 7, 25)])
    assert [e.seq for e in store.load_events_at("odd", [7, 15, 25, 30, 1])] == [1, 7, 15, 25]
    assert [e.seq for e in store.load_events("odd")] == [1, 5, 6, 7, *range(10, 21), 25]
