"""Sub-call events stored in chunks: one `event_chunks` row per run of up to CHUNK_EVENTS of them.

A large run is mostly sub-call events (a batch of 5,000 `llm_query_batched` items is 10,000 of them); one
row each cost a row and two index entries per event. A chunk row holds the same envelope and JSON payloads
as `events` rows, by column: seqs and timestamps as packed 64-bit numbers (exact, and no float to text),
kinds, versions, node and parent ids as one JSON array each, and the payloads as one JSON array. Every
other event keeps its own `events` row, so the readers that pick events by kind (notices, documents) read
only that table; readers by sequence number read both (`first_seq`/`last_seq` bound each chunk).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from .json_text import encode_json_rows

CHUNKED_KINDS = frozenset({"subcall_started", "subcall_finished"})
CHUNK_EVENTS = 512     # events per chunk at most: reading one event decodes at most this many
_CHUNK_COLUMNS = "seqs, ts, envelope, payloads"
_CHUNK_SELECT = f"SELECT {_CHUNK_COLUMNS} FROM event_chunks"
_INSERT = ("INSERT INTO event_chunks(run_id, first_seq, last_seq, seqs, ts, envelope, payloads) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)")

# an `events` row as the readers take it: seq, kind, v, ts, node_id, parent_id, payload (JSON text or dict)
Row = tuple[Any, ...]


def _packed(kind: str, values: Sequence[float]) -> bytes:
    numbers = array(kind, values)
    if sys.byteorder == "big":      # stored little-endian, whatever the machine
        numbers.byteswap()
    return numbers.tobytes()


def _unpacked(kind: str, data: bytes) -> array[Any]:
    numbers = array(kind)
    numbers.frombytes(data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def chunk_rows(run_id: str, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """`event_chunks` rows for these `events` rows (run_id, seq, kind, v, ts, node_id, parent_id, payload)."""
    out = []
    for start in range(0, len(rows), CHUNK_EVENTS):
        _, seqs, kinds, versions, stamps, node_ids, parent_ids, payloads = zip(*rows[start:start + CHUNK_EVENTS],
                                                                               strict=True)
        out.append((run_id, min(seqs), max(seqs), _packed("q", seqs), _packed("d", stamps),
                    encode_json_rows([kinds, versions, node_ids, parent_ids]), "[" + ",".join(payloads) + "]"))
    return out


def store_chunks(conn: sqlite3.Connection, run_id: str, rows: Sequence[Row]) -> None:
    if rows:
        conn.executemany(_INSERT, chunk_rows(run_id, rows))


def _expand(stored: Iterable[tuple[bytes, bytes, str, str]], wanted: set[int] | None = None) -> list[Row]:
    """The events of chunk rows as `events` rows (payloads decoded), only those numbered `wanted` if given."""
    out: list[Row] = []
    for seqs, stamps, envelope, payloads in stored:
        kinds, versions, node_ids, parent_ids = json.loads(envelope)
        decoded: list[dict[str, Any]] = json.loads(payloads)
        for row in zip(_unpacked("q", seqs), kinds, versions, _unpacked("d", stamps), node_ids, parent_ids, decoded,
                       strict=True):
            if wanted is None or row[0] in wanted:
                out.append(row)
    return out


def chunked_events(conn: sqlite3.Connection, run_id: str) -> list[Row]:
    """Every chunked event of the run, as rows."""
    return _expand(conn.execute(f"{_CHUNK_SELECT} WHERE run_id = ? ORDER BY first_seq", (run_id,)))


def chunked_events_at(conn: sqlite3.Connection, run_id: str, seqs: Iterable[int]) -> list[Row]:
    """The chunked events with these sequence numbers, as rows (each chunk that holds one is read once).

    The chunk that holds a number is the last one starting at or before it (a batch's chunks follow the
    previous batch's); only a number that one does not hold is looked for in every chunk whose range
    includes it (events stored out of order), or found in none."""
    wanted = set(seqs)
    found: dict[int, tuple[bytes, bytes, str, str]] = {}
    for seq in sorted(wanted):
        if any(first <= seq <= _last(stored) and seq in _unpacked("q", stored[0]) for first, stored in found.items()):
            continue
        row = conn.execute(f"SELECT first_seq, last_seq, {_CHUNK_COLUMNS} FROM event_chunks WHERE run_id = ? "
                           "AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1", (run_id, seq)).fetchone()
        if row is not None and row[1] >= seq and seq in _unpacked("q", row[2]):
            found[row[0]] = row[2:]
            continue
        for first, _, *stored in conn.execute(
                f"SELECT first_seq, last_seq, {_CHUNK_COLUMNS} FROM event_chunks "
                "WHERE run_id = ? AND first_seq <= ? AND last_seq >= ?", (run_id, seq, seq)):
            found[first] = (stored[0], stored[1], stored[2], stored[3])
    return _expand((found[first] for first in sorted(found)), wanted)


def _last(stored: tuple[bytes, bytes, str, str]) -> int:
    return int(max(_unpacked("q", stored[0])))


def seq_bounds(conn: sqlite3.Connection, run_id: str) -> tuple[int | None, int | None]:
    """The run's first and last sequence numbers over both tables (None, None: no events)."""
    lows, highs = zip(
        conn.execute("SELECT min(seq), max(seq) FROM events WHERE run_id = ?", (run_id,)).fetchone(),
        conn.execute("SELECT min(first_seq), max(last_seq) FROM event_chunks WHERE run_id = ?", (run_id,)).fetchone(),
        strict=True)
    low = [s for s in lows if s is not None]
    high = [s for s in highs if s is not None]
    return (min(low) if low else None, max(high) if high else None)


def last_ts(conn: sqlite3.Connection, run_id: str) -> float | None:
    """When the run's last stored event happened (None: no events)."""
    stamps = [conn.execute("SELECT max(ts) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0]]
    row = conn.execute("SELECT ts FROM event_chunks WHERE run_id = ? ORDER BY last_seq DESC LIMIT 1",
                       (run_id,)).fetchone()
    if row is not None:
        stamps.append(max(_unpacked("d", row[0])))
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def count_events(conn: sqlite3.Connection, run_id: str | None = None) -> int:
    """How many events are stored (of one run, or of all)."""
    where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
    rows = conn.execute(f"SELECT count(*) FROM events {where}", params).fetchone()[0]
    chunked = conn.execute(f"SELECT coalesce(sum(length(seqs)), 0) FROM event_chunks {where}", params).fetchone()[0]
    return int(rows) + int(chunked) // 8
