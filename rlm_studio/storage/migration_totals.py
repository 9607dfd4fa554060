"""Migration 4: every run keeps its whole Totals (child runs, model calls, cached tokens...) as JSON."""

from __future__ import annotations

import json
import sqlite3

from rlm_studio.engine.run_tree import NodeRecord, RunTree

_NODE_FIELDS = ("id", "parent_id", "kind", "depth", "order", "status", "error", "input_tokens", "output_tokens",
                "cached_tokens", "reasoning_tokens", "cost_usd", "start_seq", "end_seq")


def m004_run_totals(conn: sqlite3.Connection) -> None:
    """Add `runs.totals` and fill it for the runs already stored, from their nodes (the one totals)."""
    conn.execute("ALTER TABLE runs ADD COLUMN totals TEXT NOT NULL DEFAULT '{}'")
    quoted = ", ".join(f'"{c}"' for c in _NODE_FIELDS)
    for run_id, root in conn.execute("SELECT id, root_node_id FROM runs").fetchall():
        rows = conn.execute(f"SELECT {quoted} FROM nodes WHERE run_id = ?", (run_id,)).fetchall()
        tree = RunTree.from_nodes(NodeRecord.from_row(dict(zip(_NODE_FIELDS, r))) for r in rows)
        if root in tree:   # the count columns too: before this, a child run was counted as a sub-call
            t = tree.totals(root)
            conn.execute("UPDATE runs SET totals = ?, iterations = ?, subcalls = ?, max_depth_reached = ? WHERE id = ?",
                         (json.dumps(t.to_dict()), t.iterations, t.subcalls, t.max_depth, run_id))
