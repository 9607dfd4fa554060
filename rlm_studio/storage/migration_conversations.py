"""Migration 6: follow-up questions: which conversation each run is a turn of (engine.follow_up)."""

from __future__ import annotations

import json
import sqlite3


def m006_conversations(conn: sqlite3.Connection) -> None:
    """Add `conversation_turns`, filled for stored runs that recorded a conversation link in their settings."""
    conn.execute("""
    -- One row per run that is a turn of a conversation (turn 1 is the first question); the history groups by it.
    CREATE TABLE conversation_turns (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        conversation_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        previous_run_id TEXT
    )""")
    conn.execute("CREATE INDEX conversation_turns_conversation ON conversation_turns(conversation_id, turn)")
    rows = conn.execute("SELECT run_id, payload FROM events WHERE kind = 'run_started' AND parent_id IS NULL "
                        "AND payload LIKE '%\"conversation\"%'").fetchall()
    for run_id, payload in rows:
        link = ((json.loads(payload).get("settings") or {}).get("extra") or {}).get("conversation")
        if isinstance(link, dict) and link.get("id") and link.get("previous_run_id"):
            conn.execute("INSERT OR IGNORE INTO conversation_turns VALUES (?, ?, ?, ?)",
                         (run_id, str(link["id"]), int(link.get("turn") or 2), str(link["previous_run_id"])))
            conn.execute("INSERT OR IGNORE INTO conversation_turns "
                         "SELECT ?, ?, 1, NULL WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?)",
                         (str(link["id"]), str(link["id"]), str(link["id"])))
