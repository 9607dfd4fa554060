"""Opening the SQLite file: refuse a newer schema before touching it, then WAL, foreign keys, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import StorageError
from .schema import migrate, read_version, refuse_newer

BUSY_TIMEOUT_MS = 10_000


def _check_existing(path: Path) -> None:
    """Read the schema version without writing a byte (a newer file must stay exactly as it is)."""
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = read_version(probe)
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path} is not an RLM Studio database ({exc})") from None
    refuse_newer(version, str(path))


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), migrated to the latest schema."""
    path = Path(path)
    if path.is_dir():
        raise StorageError(f"{path} is a directory; give the database file's path")
    if path.exists() and path.stat().st_size > 0:
        _check_existing(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"cannot open the database {path}: {exc}") from None
    try:
        migrate(conn, str(path))
    except BaseException:
        conn.close()
        raise
    return conn
