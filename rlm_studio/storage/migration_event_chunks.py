"""Migration 9: the `event_chunks` table, where the writer stores sub-call events from now on (event_chunks.py).

Events already stored keep their `events` rows: readers read both tables, so an older file reads the same.
"""

from __future__ import annotations

import sqlite3


def m009_event_chunks(conn: sqlite3.Connection) -> None:
    conn.execute("""
    -- Sub-call events, up to 512 of one run per row (their envelope by column, their payloads as one JSON array):
    -- a large run is mostly these, and one `events` row each was most of the cost of storing it.
    CREATE TABLE event_chunks (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        seqs BLOB NOT NULL,        -- the events' seq, 64-bit little-endian integers
        ts BLOB NOT NULL,          -- the events' ts, 64-bit little-endian floats
        envelope TEXT NOT NULL,    -- JSON [[kind, ...], [v, ...], [node_id, ...], [parent_id, ...]]
        payloads TEXT NOT NULL,    -- JSON array of the events' payloads, as an `events` row holds one
        PRIMARY KEY (run_id, first_seq)
    )""")
