"""Conversations of follow-up questions in the database: each turn a run, linked to the turn before."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import StorageError

if TYPE_CHECKING:
    from .store import Store


def link_turn(store: Store, run_id: str, conversation_id: str, turn: int, previous_run_id: str | None) -> None:
    """Record `run_id` as turn `turn` of a conversation (turn 1, the first question, is recorded with it)."""
    with store._lock, store.transaction() as conn:
        if previous_run_id is not None:
            conn.execute("INSERT OR IGNORE INTO conversation_turns SELECT ?, ?, 1, NULL "
                         "WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?)",
                         (conversation_id, conversation_id, conversation_id))
        conn.execute("INSERT OR REPLACE INTO conversation_turns VALUES (?, ?, ?, ?)",
                     (run_id, conversation_id, turn, previous_run_id))


def turn_of(store: Store, run_id: str) -> dict[str, Any] | None:
    """{"conversation_id", "turn", "previous_run_id"} of a run that is a turn of a conversation, else None."""
    row = store._conn.execute("SELECT conversation_id, turn, previous_run_id FROM conversation_turns "
                              "WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else {"conversation_id": row[0], "turn": row[1], "previous_run_id": row[2]}


def conversation_turns(store: Store, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's turns in order: run id, turn, question, answer, status."""
    rows = store._conn.execute(
        "SELECT t.run_id, t.turn, t.previous_run_id, r.question, r.answer, r.status FROM conversation_turns t "
        "JOIN runs r ON r.id = t.run_id WHERE t.conversation_id = ? ORDER BY t.turn, r.created_at",
        (conversation_id,)).fetchall()
    return [{"run_id": r[0], "turn": r[1], "previous_run_id": r[2], "question": r[3], "answer": r[4],
             "status": r[5]} for r in rows]



def turn_events(store: Store, run_id: str) -> list[list[Any]]:
    """The events of every turn of `run_id`'s conversation up to it, oldest first (each run's
    settings record the turn before it); StorageError when a turn is missing or unreadable."""
    from rlm_studio.engine.follow_up import conversation_of

    chain: list[list[Any]] = []
    seen: set[str] = set()
    current: str | None = run_id
    while current is not None:
        if current in seen:
            raise StorageError(f"the conversation of run {run_id} links back to itself")
        seen.add(current)
        if not store.run_exists(current):
            raise StorageError(f"run {current}, an earlier turn of this conversation, is not in the database")
        events = store.load_events(current)
        if not any(e.kind == "run_started" and getattr(e, "depth", 0) == 0 for e in events):
            raise StorageError(f"run {current} has no recorded start: it cannot be continued")
        chain.append(events)
        link = conversation_of(events)
        current = str(link["previous_run_id"]) if link and link.get("previous_run_id") else None
    return list(reversed(chain))


def turns_of(store: Store, run_ids: list[str]) -> dict[str, tuple[str, int]]:
    """run id -> (conversation id, turn) for those of `run_ids` that are turns of a conversation."""
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for run_id, conversation_id, turn in store._conn.execute(
                f"SELECT run_id, conversation_id, turn FROM conversation_turns WHERE run_id IN ({marks})", chunk):
            found[run_id] = (conversation_id, turn)
    return found
