"""The database schema as an ordered list of small named migrations, each applied in one transaction.

The schema version is SQLite's `PRAGMA user_version` (also listed in the `migrations` table with the
time each step ran). A database written by a newer version of the app is refused, never altered.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Callable

from .errors import StorageError


def _run_ddl(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (executescript would COMMIT the migration's transaction)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def m001_initial(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, """
    -- One row per stored run (root runs only; child runs are nodes of their root): the run list.
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        question TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running','completed','limit_hit','failed','cancelled','interrupted')),
        created_at REAL NOT NULL,
        ended_at REAL,
        root_model TEXT NOT NULL DEFAULT '',
        sub_model TEXT NOT NULL DEFAULT '',
        settings TEXT NOT NULL DEFAULT '{}',
        isolation TEXT NOT NULL DEFAULT '',
        warnings TEXT NOT NULL DEFAULT '[]',
        iterations INTEGER NOT NULL DEFAULT 0,
        subcalls INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        cost_unknown INTEGER NOT NULL DEFAULT 0,
        max_depth_reached INTEGER NOT NULL DEFAULT 0,
        duration_ms REAL,
        answer TEXT,
        parent_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
        fork_node_id TEXT,
        name TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        system_prompt TEXT NOT NULL DEFAULT '',
        root_node_id TEXT,
        app_version TEXT NOT NULL DEFAULT '',
        writer_pid INTEGER,
        writer_host TEXT,
        heartbeat_at REAL
    );
    CREATE INDEX runs_created ON runs(created_at);
    CREATE INDEX runs_status ON runs(status);

    -- The tree of a run with each node's own figures, derived from its events by fold_nodes.
    CREATE TABLE nodes (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        parent_id TEXT,
        kind TEXT NOT NULL,
        depth INTEGER NOT NULL DEFAULT 0,
        "order" INTEGER NOT NULL DEFAULT 0,
        label TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'running',
        error TEXT,
        iteration INTEGER,
        started_ts REAL,
        ended_ts REAL,
        duration_ms REAL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        tokens_estimated INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        start_seq INTEGER NOT NULL DEFAULT 0,
        end_seq INTEGER,
        extra TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, id)
    );
    CREATE INDEX nodes_parent ON nodes(run_id, parent_id);

    -- Texts kept once by content hash (prompts, messages, responses, code, output, documents).
    CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        compressed INTEGER NOT NULL DEFAULT 0,
        data BLOB NOT NULL
    );

    -- Which runs use which blob, so deleting a run can drop the blobs nobody else uses.
    CREATE TABLE blob_refs (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        hash TEXT NOT NULL REFERENCES blobs(hash),
        PRIMARY KEY (run_id, hash)
    ) WITHOUT ROWID;
    CREATE INDEX blob_refs_hash ON blob_refs(hash);

    -- The append-only event stream of each run, the source everything else is derived from.
    CREATE TABLE events (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        v INTEGER NOT NULL,
        ts REAL NOT NULL,
        node_id TEXT NOT NULL DEFAULT '',
        parent_id TEXT,
        payload TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );

    -- User labels on runs, for filtering the run list.
    CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_tag ON tags(tag);

    -- Full-text search over questions, answers, code, output, prompts and responses.
    CREATE VIRTUAL TABLE search_index USING fts5(
        text, run_id UNINDEXED, node_id UNINDEXED, field UNINDEXED, tokenize = 'unicode61'
    );

    -- Which migrations ran, and when (the version itself is PRAGMA user_version).
    CREATE TABLE migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at REAL NOT NULL
    );
    """)


def m002_findings(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, """
    -- Failure modes found in a run (analysis.failure_modes), kept so the history can badge and filter runs.
    CREATE TABLE findings (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        nodes TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX findings_run ON findings(run_id);
    CREATE INDEX findings_kind ON findings(kind, run_id);
    ALTER TABLE runs ADD COLUMN findings_at REAL
    """)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [m001_initial, m002_findings]
LATEST_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(version: int, where: str) -> None:
    if version > LATEST_VERSION:
        raise StorageError(
            f"{where} was written by a newer version of RLM Studio (database schema {version}; "
            f"this version reads up to {LATEST_VERSION}). Update RLM Studio to open it; "
            "the file was not changed.")


def migrate(conn: sqlite3.Connection, where: str = "the database") -> list[str]:
    """Apply every migration newer than the database's version, each in its own transaction."""
    applied = []
    version = read_version(conn)
    refuse_newer(version, where)
    for number, step in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            if read_version(conn) >= number:      # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            step(conn)
            conn.execute("INSERT INTO migrations(version, name, applied_at) VALUES (?, ?, ?)",
                         (number, step.__name__, time.time()))
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"could not update {where} to schema {number} ({step.__name__}): {exc}") from exc
        applied.append(step.__name__)
    return applied
