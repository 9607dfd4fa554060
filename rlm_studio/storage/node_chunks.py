"""Finished sub-call nodes stored in chunks: one `node_chunks` row holds up to CHUNK_NODES of a run's.

A large run is mostly sub-calls, and a 24-column row each cost more to store than the sub-call's two
events. A finished node's record never changes again (the fold's rule), so the writer stores the sub-calls a
batch finished as one JSON array of rows, with the names of their columns (a column added later reads as its
default from older chunks). A running sub-call keeps a `node_rows` row until it finishes; that row is deleted
when its record moves into a chunk. Every reader of a run's nodes reads both tables; the `nodes` view shows
both as one row per node (migration_node_chunks.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import MISSING, fields
from operator import attrgetter
from typing import Any

from rlm_studio.engine.run_tree import NodeRecord

from .json_text import encode_json_rows

CHUNKED_NODE_KIND = "subcall"
CHUNK_NODES = 512
#: NodeRecord's fields, the columns of a chunk's rows (`extra` a JSON object in the row)
NODE_FIELDS = tuple(f.name for f in fields(NodeRecord))
_DEFAULTS = {f.name: (f.default if f.default is not MISSING else
                      f.default_factory() if f.default_factory is not MISSING else None) for f in fields(NodeRecord)}
_FIELDS_JSON = json.dumps(NODE_FIELDS)
_values = attrgetter(*NODE_FIELDS)
_START_SEQ = NODE_FIELDS.index("start_seq")
_INT64 = 2 ** 63
_INSERT = "INSERT INTO node_chunks(run_id, first_seq, last_seq, count, columns, rows) VALUES (?, ?, ?, ?, ?, ?)"


def node_chunk_rows(run_id: str, records: Sequence[NodeRecord]) -> list[tuple[Any, ...]]:
    """`node_chunks` rows for these records, in opening order."""
    values = sorted(map(_values, records), key=lambda v: v[_START_SEQ])
    out = []
    for start in range(0, len(values), CHUNK_NODES):
        part = values[start:start + CHUNK_NODES]
        out.append((run_id, part[0][_START_SEQ], part[-1][_START_SEQ], len(part), _FIELDS_JSON, _encoded(part)))
    return out


def _encoded(rows: list[tuple[Any, ...]]) -> str:
    """The rows' JSON; a number a `node_rows` row could not hold is refused as SQLite refuses it (the writer then
    stores the batch event by event and loses only the event that made it, as before chunks)."""
    try:
        return encode_json_rows(rows, strict=True)
    except TypeError:
        if any(type(v) is int and not -_INT64 <= v < _INT64 for row in rows for v in row):
            raise OverflowError("Python int too large to convert to SQLite INTEGER") from None
        return encode_json_rows(rows)


def store_node_chunks(conn: sqlite3.Connection, run_id: str, records: Sequence[NodeRecord]) -> None:
    if records:
        conn.executemany(_INSERT, node_chunk_rows(run_id, records))


def chunked_node_rows(conn: sqlite3.Connection, run_id: str) -> list[list[Any]]:
    """The run's chunked node records as rows of values in NODE_FIELDS order (`extra` a dict), chunk by chunk
    (each in opening order, chunks in the order they were stored)."""
    out: list[list[Any]] = []
    for names_text, rows_text in conn.execute("SELECT columns, rows FROM node_chunks WHERE run_id = ? ORDER BY rowid",
                                              (run_id,)):
        rows: list[list[Any]] = json.loads(rows_text)
        if names_text != _FIELDS_JSON:
            rows = _in_field_order(json.loads(names_text), rows)
        out.extend(rows)
    return out


def _in_field_order(names: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """Rows stored with other columns (another version's): NodeRecord's fields, a missing one as its default."""
    where = {name: i for i, name in enumerate(names)}
    picks = [(where.get(name), _DEFAULTS[name]) for name in NODE_FIELDS]
    return [[row[i] if i is not None else (dict(d) if isinstance(d, dict) else d) for i, d in picks] for row in rows]

