"""Reads for opening a large stored run: its tree from the node rows in one query, and only the events
asked for (a node's opening and closing ones, the run's own), never the whole stream."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event, EventFormatError, event_from_dict
from rlm_studio.engine.run_tree.columns import COLUMNS, ColumnTree

from .blobs import blob_hashes, hydrate, load_texts
from .errors import StorageError

# every column of a node row in NodeRecord's order; `extra` only for run nodes (their question and answer):
# a sub-call's extra (a preview of its response) is in its events, read with its details
_TREE_SELECT = ", ".join(
    '"order"' if name == "order" else "CASE WHEN kind = 'run' THEN extra END" if name == "extra" else name
    for name in COLUMNS)
# the events of a run that are about the run as a whole (besides its start and finish)
RUN_EVENT_KINDS = ("notice", "history_compacted", "context_attached")
_EVENT_SELECT = "SELECT seq, kind, v, ts, node_id, parent_id, payload FROM events"


CHUNK_ROWS = 4096   # rows turned into columns at a time: a 100,000-node run never holds 100,000 row tuples


def column_tree(conn: sqlite3.Connection, run_id: str) -> ColumnTree:
    """The run's tree from its node rows (one query, in opening order). The rows are read in chunks into
    columns, so the cyclic GC (run by the app's UI thread meanwhile) never walks a large run's row tuples."""
    cursor = conn.execute(f"SELECT {_TREE_SELECT} FROM nodes WHERE run_id = ? ORDER BY start_seq, id", (run_id,))
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    while chunk := cursor.fetchmany(CHUNK_ROWS):
        for column, values in zip(columns, zip(*chunk), strict=True):
            column.extend(values)
    return ColumnTree(columns)


def events_at(conn: sqlite3.Connection, run_id: str, seqs: Iterable[int | None]) -> list[Event]:
    """The run's events with these sequence numbers, in order (None and unknown numbers are skipped)."""
    wanted = sorted({int(s) for s in seqs if s is not None})
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"{_EVENT_SELECT} WHERE run_id = ? AND seq IN ({marks}) ORDER BY seq",
                        (run_id, *wanted)).fetchall()
    return decode_rows(conn, run_id, rows)


def run_events(conn: sqlite3.Connection, run_id: str, seqs: Iterable[int | None]) -> list[Event]:
    """The events about the run as a whole: those numbered `seqs` (its start and finish), its notices and
    documents, and its first and last event (the run's time span), in order."""
    wanted = {int(s) for s in seqs if s is not None}
    first, last = conn.execute("SELECT min(seq), max(seq) FROM events WHERE run_id = ?", (run_id,)).fetchone()
    wanted.update(s for s in (first, last) if s is not None)
    marks, kinds = ",".join("?" * len(wanted)), ",".join("?" * len(RUN_EVENT_KINDS))
    where = f"seq IN ({marks}) OR kind IN ({kinds})" if wanted else f"kind IN ({kinds})"
    rows = conn.execute(f"{_EVENT_SELECT} WHERE run_id = ? AND ({where}) ORDER BY seq",
                        (run_id, *sorted(wanted), *RUN_EVENT_KINDS)).fetchall()
    return decode_rows(conn, run_id, rows)


def decode_rows(conn: sqlite3.Connection, run_id: str, rows: list[Any]) -> list[Event]:
    """Events from `events` rows (seq, kind, v, ts, node_id, parent_id, payload), their texts read back."""
    payloads: list[dict[str, Any]] = [json.loads(r[6]) for r in rows]
    hashes = [h for p in payloads for h in blob_hashes(p)]
    texts = load_texts(conn, hashes) if hashes else {}
    events = []
    for row, payload in zip(rows, payloads, strict=True):
        data = hydrate(payload, texts)
        data.update(v=row[2], kind=row[1], run_id=run_id, seq=row[0], ts=row[3], node_id=row[4], parent_id=row[5])
        try:
            events.append(event_from_dict(data))
        except EventFormatError as exc:
            raise StorageError(f"run {run_id}: stored event {row[0]} cannot be read: {exc}") from None
    return events
