"""Migration 10: finished sub-call nodes are stored in `node_chunks` from now on (node_chunks.py); the table of
one row per node becomes `node_rows`, and `nodes` is a view of both, so a query of `nodes` (ours in older
files' migrations, anyone's own SQL) still sees every node, as one row each.

Nodes already stored keep their rows. The view reads chunk rows by position in NodeRecord's field order as of
this migration: a later change of those fields has to recreate it.
"""

from __future__ import annotations

import sqlite3

from .node_chunks import NODE_FIELDS

_COLUMNS = ("run_id", *NODE_FIELDS)


def nodes_view_sql() -> str:
    """The `nodes` view: the rows of `node_rows`, then each chunk's rows (their values by position)."""
    quoted = ", ".join(f'"{name}"' for name in _COLUMNS)
    from_chunks = ", ".join(f"json_extract(r.value, '$[{i}]') AS \"{name}\"" for i, name in enumerate(NODE_FIELDS))
    return (f"CREATE VIEW nodes AS SELECT {quoted} FROM node_rows UNION ALL "
            f"SELECT c.run_id AS run_id, {from_chunks} FROM node_chunks AS c, json_each(c.rows) AS r")


def m010_node_chunks(conn: sqlite3.Connection) -> None:
    conn.execute("""
    -- Finished sub-call nodes, up to 512 of one run per row (a large run is mostly these, and a row each was
    -- most of the cost of storing it). No key on first_seq: an imported run may repeat a seq.
    CREATE TABLE node_chunks (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        first_seq INTEGER NOT NULL,   -- the smallest and largest start_seq of its nodes
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        columns TEXT NOT NULL,        -- JSON array of the rows' column names (NodeRecord's fields)
        rows TEXT NOT NULL            -- JSON array of rows, each an array of values in those columns
    )""")
    conn.execute("CREATE INDEX node_chunks_run ON node_chunks(run_id, first_seq)")
    conn.execute("ALTER TABLE nodes RENAME TO node_rows")
    conn.execute(nodes_view_sql())
