"""Migration 8: the `nodes_parent` index is dropped.

No query reads nodes by parent (a run's tree is read whole, by run, and linked in memory), while every
node row the writer stores updated it: about 0.7 us of the writer's CPU per event (bench_storage.py).
"""

from __future__ import annotations

import sqlite3


def m008_drop_nodes_parent_index(conn: sqlite3.Connection) -> None:
    conn.execute("DROP INDEX IF EXISTS nodes_parent")
