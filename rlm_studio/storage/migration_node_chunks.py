"""Migration 10: the `node_chunks` table, where the writer stores finished sub-call nodes from now on (node_chunks.py).

Nodes already stored keep their `nodes` rows: readers read both tables, so an older file reads the same.
"""

from __future__ import annotations

import sqlite3


def m010_node_chunks(conn: sqlite3.Connection) -> None:
    conn.execute("""
    -- Finished sub-call nodes, up to 512 of one run per row (a large run is mostly these, and a `nodes` row
    -- each was most of the cost of storing it). No key on first_seq: an imported run may repeat a seq.
    CREATE TABLE node_chunks (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        first_seq INTEGER NOT NULL,   -- the smallest and largest start_seq of its nodes
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        columns TEXT NOT NULL,        -- JSON array of the rows' column names (NodeRecord's fields)
        rows TEXT NOT NULL            -- JSON array of rows, each an array of values in those columns
    )""")
    conn.execute("CREATE INDEX node_chunks_run ON node_chunks(run_id, first_seq)")
