"""The database schema as an ordered list of small named migrations, each applied in one transaction.

The schema version is SQLite's `PRAGMA user_version`: the highest migration number applied. The
`migrations` table lists each one that ran, with its time, and is what decides which still have to run.
A database written by a newer version of the app is refused, never altered.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable

from .errors import StorageError
from .migration_conversations import m006_conversations
from .migration_event_chunks import m009_event_chunks
from .migration_node_chunks import m010_node_chunks
from .migration_nodes_index import m008_drop_nodes_parent_index
from .migration_search import m007_search_without_prompts
from .migration_totals import m004_run_totals


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
    -- (dropped by migration 8: nothing reads nodes by parent)
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

    -- Full-text search over questions, answers, code, output and responses (prompts until migration 7).
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


def allow_run_status(conn: sqlite3.Connection, status: str) -> None:
    """Add `status` to the CHECK list of `runs.status` in place (the table cannot be rebuilt: deleting it
    would cascade to every event). Loosening a CHECK is the schema edit SQLite documents for this."""
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'").fetchone()[0]
    match = re.search(r"CHECK \(status IN \(([^)]*)\)\)", sql)
    if match is None:
        raise StorageError("the runs table has no status CHECK list to extend")
    if f"'{status}'" in match.group(1):
        return
    widened = sql[:match.end(1)] + f",'{status}'" + sql[match.end(1):]
    schema_version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'runs'", (widened,))
        conn.execute(f"PRAGMA schema_version = {schema_version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


def m005_damaged_runs(conn: sqlite3.Connection) -> None:
    """A run some of whose events could not be stored is 'damaged', with what was lost in `damage`."""
    allow_run_status(conn, "damaged")
    _run_ddl(conn, """
    ALTER TABLE runs ADD COLUMN damage TEXT
    """)


def m003_bench(conn: sqlite3.Connection) -> None:
    _run_ddl(conn, """
    -- One row per `rlm-studio bench run`: the suite, every setting it ran with, and how far it got.
    CREATE TABLE benches (
        id TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        settings TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running','completed','stopped','interrupted'))
    );
    CREATE INDEX benches_created ON benches(created_at);

    -- One row per task x method x configuration of a bench, linked to the stored run that answered it.
    CREATE TABLE bench_tasks (
        bench_id TEXT NOT NULL REFERENCES benches(id) ON DELETE CASCADE,
        task_id TEXT NOT NULL,
        method TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '',
        family TEXT NOT NULL,
        size_tokens INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL DEFAULT 0,
        run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending','done','failed')),
        score REAL,
        answer TEXT,
        expected TEXT NOT NULL DEFAULT '[]',
        cost_usd REAL,
        cost_unknown INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        duration_ms REAL,
        model_ms REAL,
        run_status TEXT NOT NULL DEFAULT '',
        error TEXT,
        PRIMARY KEY (bench_id, task_id, method, config)
    );
    CREATE INDEX bench_tasks_run ON bench_tasks(run_id)
    """)


# Each migration's number is in its name (m005_... is 5); a database records the ones it has run, so a
# migration numbered below one already applied (written in parallel, landed later) still runs.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [m001_initial, m002_findings, m003_bench, m004_run_totals, m005_damaged_runs,
                                                          m006_conversations, m007_search_without_prompts,
                                                          m008_drop_nodes_parent_index, m009_event_chunks,
                                                          m010_node_chunks]


def migration_number(step: Callable[[sqlite3.Connection], None]) -> int:
    match = re.match(r"m(\d+)_", step.__name__)
    if match is None:
        raise ValueError(f"migration {step.__name__} must be named mNNN_...")
    return int(match.group(1))


LATEST_VERSION = max(migration_number(step) for step in MIGRATIONS)


def read_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(version: int, where: str) -> None:
    if version > LATEST_VERSION:
        raise StorageError(
            f"{where} was written by a newer version of RLM Studio (database schema {version}; "
            f"this version reads up to {LATEST_VERSION}). Update RLM Studio to open it; "
            "the file was not changed.")


def applied_migrations(conn: sqlite3.Connection, where: str = "the database") -> set[int]:
    """The numbers of the migrations this database has run (none for a new file)."""
    version = read_version(conn)
    if version == 0:
        return set()
    try:
        return {int(r[0]) for r in conn.execute("SELECT version FROM migrations")}
    except sqlite3.DatabaseError:
        raise StorageError(f"{where} is not an RLM Studio database (schema {version} "
                           "but no list of migrations)") from None


def migrate(conn: sqlite3.Connection, where: str = "the database") -> list[str]:
    """Apply every migration the database has not run yet, in order, each in its own transaction."""
    applied: list[str] = []
    refuse_newer(read_version(conn), where)
    if applied_migrations(conn, where) >= {migration_number(step) for step in MIGRATIONS}:
        return applied
    for step in sorted(MIGRATIONS, key=migration_number):
        number = migration_number(step)
        try:
            conn.execute("BEGIN IMMEDIATE")
            if number in applied_migrations(conn):      # done before, or by another process meanwhile
                conn.execute("ROLLBACK")
                continue
            step(conn)
            conn.execute("INSERT INTO migrations(version, name, applied_at) VALUES (?, ?, ?)",
                         (number, step.__name__, time.time()))
            conn.execute(f"PRAGMA user_version = {max(number, read_version(conn))}")
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"could not update {where} to schema {number} ({step.__name__}): {exc}") from exc
        applied.append(step.__name__)
    return applied
