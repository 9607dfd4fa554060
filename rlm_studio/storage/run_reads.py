"""Reads for opening a large stored run: its tree from the node rows in one query, and only the events
asked for (a node's opening and closing ones, the run's own), never the whole stream."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from rlm_studio.engine.events import Event
from rlm_studio.engine.run_tree.columns import COLUMNS, ColumnTree

from .event_chunks import chunked_events_at, seq_bounds
from .event_codec import decode_rows
from .node_chunks import chunked_node_rows

# every column of a node row in NodeRecord's order; `extra` only for run nodes (their question and answer):
# a sub-call's extra (a preview of its response) is in its events, read with its details
_TREE_SELECT = ", ".join(
    '"order"' if name == "order" else "CASE WHEN kind = 'run' THEN extra END" if name == "extra" else name
    for name in COLUMNS)
# the events of a run that are about the run as a whole (besides its start and finish)
RUN_EVENT_KINDS = ("notice", "history_compacted", "context_attached")
_EVENT_SELECT = "SELECT seq, kind, v, ts, node_id, parent_id, payload FROM events"


_EXTRA, _KIND = COLUMNS.index("extra"), COLUMNS.index("kind")
_OPENING_ORDER = itemgetter(COLUMNS.index("start_seq"), COLUMNS.index("id"))   # the nodes query's ORDER BY
CHUNK_ROWS = 4096   # rows turned into columns at a time: a 100,000-node run never holds 100,000 row tuples


def column_tree(conn: sqlite3.Connection, run_id: str) -> ColumnTree:
    """The run's tree from its node rows and chunks, in opening order. Without chunks the rows are read in
    chunks into columns, so the cyclic GC (run by the app's UI thread meanwhile) never walks a large run's
    row tuples; with them the rows are merged first (opening a large run is a bulk build: no GC runs)."""
    cursor = conn.execute(f"SELECT {_TREE_SELECT} FROM node_rows WHERE run_id = ? ORDER BY start_seq, id", (run_id,))
    chunked: list[Any] = chunked_node_rows(conn, run_id)
    if chunked:
        for row in chunked:   # a sub-call's extra is in its events, read with its details (as _TREE_SELECT)
            extra = row[_EXTRA]
            row[_EXTRA] = json.dumps(extra) if row[_KIND] == "run" and extra else None
        chunked.extend(cursor)
        chunked.sort(key=_OPENING_ORDER)
        rows: Iterator[Sequence[Any]] = (chunked[i:i + CHUNK_ROWS] for i in range(0, len(chunked), CHUNK_ROWS))
    else:
        rows = iter(lambda: cursor.fetchmany(CHUNK_ROWS), [])
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    for chunk in rows:
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
    return decode_rows(conn, run_id, _merged(rows, _chunked_rest(conn, run_id, wanted, rows)))


def run_events(conn: sqlite3.Connection, run_id: str, seqs: Iterable[int | None]) -> list[Event]:
    """The events about the run as a whole: those numbered `seqs` (its start and finish), its notices and
    documents, and its first and last event (the run's time span), in order."""
    wanted = {int(s) for s in seqs if s is not None}
    wanted.update(s for s in seq_bounds(conn, run_id) if s is not None)
    marks, kinds = ",".join("?" * len(wanted)), ",".join("?" * len(RUN_EVENT_KINDS))
    where = f"seq IN ({marks}) OR kind IN ({kinds})" if wanted else f"kind IN ({kinds})"
    rows = conn.execute(f"{_EVENT_SELECT} WHERE run_id = ? AND ({where}) ORDER BY seq",
                        (run_id, *sorted(wanted), *RUN_EVENT_KINDS)).fetchall()
    # the notices and documents are never chunked (only sub-call events are): by number only there
    return decode_rows(conn, run_id, _merged(rows, _chunked_rest(conn, run_id, wanted, rows)))


def _chunked_rest(conn: sqlite3.Connection, run_id: str, wanted: Iterable[int], rows: list[Any]) -> list[Any]:
    """The wanted events that are not among `rows`, from the chunks (an event is in one table or the other)."""
    have = {r[0] for r in rows}
    return chunked_events_at(conn, run_id, [s for s in wanted if s not in have])


def _merged(rows: list[Any], chunked: list[Any]) -> list[Any]:
    """`events` rows and chunked ones, in sequence order."""
    return sorted(rows + chunked, key=itemgetter(0)) if chunked else rows
