"""`Store`: the database of runs, as the desktop app and the CLI use it. Returns plain dicts."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import sqlite_utils

from rlm_studio.engine.events import Event
from rlm_studio.engine.gc_paused import gc_paused
from rlm_studio.engine.run_tree import NodeRecord, RunTree, Totals
from rlm_studio.engine.run_tree.columns import ColumnTree

from . import event_chunks, node_chunks, run_reads
from .blobs import decode_blob
from .connection import connect
from .errors import StorageError
from .event_codec import read_events
from .ingest import Ingest, run_totals, update_run_totals
from .liveness import writer_alive
from .paths import resolve_db_path
from .text_safety import storable
from .writer import EventWriter

RUN_JSON_COLUMNS = ("settings", "warnings")


def run_counts(totals: Totals) -> dict[str, Any]:
    """The named counts a run dict carries at its top level (`runs`, `show`, the app): all from one Totals."""
    counts = totals.counts()
    # the runs table's names: cost_usd is the priced part (with cost_unknown beside it), max_depth_reached
    counts["cost_usd"] = totals.known_cost_usd
    counts["max_depth_reached"] = counts.pop("max_depth")
    return counts


def fts_query(text: str) -> str:
    """Plain words to an FTS5 query: every word must appear (quotes keep FTS syntax out of it)."""
    # NUL ends an FTS5 string literal early ("unterminated string"): it separates words here, as a space would
    words = [w for w in storable(text).replace("\x00", " ").split() if w]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def to_epoch(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise StorageError(f"{name}: {value!r} is not a date; use e.g. 2026-01-31 or 2026-01-31T14:00") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a date without zone is local time
    return moment.astimezone(UTC).timestamp()


class Store:
    """One SQLite file of runs. Thread-safe for reads and small edits; runs are written by `writer()`."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating and migrating as needed) the database at `path`, or the default one."""
        resolved = resolve_db_path(path)
        return cls(resolved, connect(resolved))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def writer(self, run_id: str | None = None) -> EventWriter:
        return EventWriter(self.path, run_id)

    def ingest_events(self, events: Iterable[Event],
                      after: Callable[[sqlite3.Connection], object] | None = None) -> None:
        """Store a complete list of events in one transaction (importers use this);
        `after(conn)` runs in the same transaction, so a failure there stores nothing either."""
        with self._lock, self.transaction() as conn:
            Ingest().write(conn, events, time.time())
            if after is not None:
                after(conn)

    def transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    def mark_interrupted(self) -> list[str]:
        """Turn runs left 'running' by a process that is gone into 'interrupted'; return their ids."""
        marked = []
        with self._lock:
            rows = self._conn.execute("SELECT id, writer_pid, writer_host, heartbeat_at FROM runs "
                                      "WHERE status = 'running'").fetchall()
            for run_id, pid, host, heartbeat in rows:
                if writer_alive(pid, host, heartbeat):
                    continue
                with self.transaction():
                    self._finish_interrupted(run_id)
                marked.append(run_id)
        return marked

    def _finish_interrupted(self, run_id: str) -> None:
        conn = self._conn
        tree = RunTree.from_events(read_events(conn, run_id))
        root = conn.execute("SELECT root_node_id FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        totals = run_totals(tree, root)
        last_ts = event_chunks.last_ts(conn, run_id)   # over its events rows and chunks
        created = conn.execute("SELECT created_at FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        ended = last_ts if last_ts is not None else created
        conn.execute(
            """UPDATE runs SET status = 'interrupted', ended_at = ?, duration_ms = ?, writer_pid = NULL
               WHERE id = ?""", (ended, max(0.0, (ended - created) * 1000.0), run_id))
        update_run_totals(conn, run_id, totals)
        conn.execute("UPDATE node_rows SET status = 'interrupted' WHERE run_id = ? AND status = 'running'", (run_id,))

    # -- reading -----------------------------------------------------------------------------
    def resolve_run_id(self, prefix: str) -> str:
        prefix = storable(prefix or "").strip()
        if not prefix:
            raise StorageError("give a run id (or the first characters of one)")
        with self._lock:
            ids: list[str] = [r[0] for r in self._conn.execute(
                "SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6", (prefix, prefix + "\uffff"))]
        if prefix in ids:
            return prefix
        if not ids:
            raise StorageError(f"no run with id {prefix!r} in {self.path}")
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
            raise StorageError(f"run id {prefix!r} is ambiguous: it starts {shown}; give more characters")
        return ids[0]

    def _run_dict(self, row: dict[str, Any]) -> dict[str, Any]:
        run = dict(row)
        for name in RUN_JSON_COLUMNS:
            run[name] = json.loads(run[name]) if run.get(name) else ({} if name == "settings" else [])
        run["cost_unknown"] = bool(run["cost_unknown"])
        totals = Totals.from_dict(json.loads(run.pop("totals", None) or "{}"))
        run["totals"] = totals.to_dict()
        run.update(run_counts(totals))
        run["findings_computed"] = run.get("findings_at") is not None
        run = {"run_id": run["id"], **run}
        return run

    def _finding_kinds(self, run_ids: list[str]) -> dict[str, list[str]]:
        """The kinds of the findings saved for each run (call with the lock held)."""
        kinds: dict[str, list[str]] = {}
        if run_ids:
            marks = ",".join("?" * len(run_ids))
            for run_id, kind in self._conn.execute(
                    f"SELECT DISTINCT run_id, kind FROM findings WHERE run_id IN ({marks}) ORDER BY kind", run_ids):
                kinds.setdefault(run_id, []).append(kind)
        return kinds

    def save_findings(self, run_id: str, findings: list[dict[str, Any]]) -> None:
        """Replace the run's failure-mode findings ({kind, reason, nodes} each) with these."""
        run_id = self.resolve_run_id(run_id)
        rows = [(run_id, storable(str(f["kind"])), storable(str(f.get("reason", ""))),
                 json.dumps(list(f.get("nodes", []))))
                for f in findings]
        with self._lock, _Transaction(self._conn):
            self._conn.execute("DELETE FROM findings WHERE run_id = ?", [run_id])
            self._conn.executemany("INSERT INTO findings (run_id, kind, reason, nodes) VALUES (?, ?, ?, ?)", rows)
            self._conn.execute("UPDATE runs SET findings_at = ? WHERE id = ?", [time.time(), run_id])

    def findings(self, run_id: str) -> list[dict[str, Any]]:
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            rows = self._conn.execute("SELECT kind, reason, nodes FROM findings WHERE run_id = ? ORDER BY rowid",
                                      [run_id]).fetchall()
        return [{"kind": k, "reason": r, "nodes": json.loads(n)} for k, r, n in rows]

    def forks(self, run_id: str) -> list[dict[str, Any]]:
        """Runs forked from this one, oldest first."""
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            runs = [self._run_dict(r) for r in self.db.query(
                "SELECT * FROM runs WHERE parent_run_id = ? ORDER BY created_at, id", [run_id])]
        return runs

    def get_run(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            row = next(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
            run = self._run_dict(row)
            run["tags"] = self._tags(run_id)
            run["finding_kinds"] = self._finding_kinds([run_id]).get(run_id, [])
        return run

    def list_runs(self, status: str | None = None, model: str | None = None, text: str | None = None,
                  since: Any = None, until: Any = None, tag: str | None = None, finding: str | None = None,
                  limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if finding:
            where.append("id IN (SELECT run_id FROM findings WHERE kind = ?)")
            params.append(storable(finding))
        if status:
            where.append("status = ?")
            params.append(storable(status))
        if model:
            where.append("(root_model LIKE ? OR sub_model LIKE ?)")
            params += [f"%{storable(model)}%"] * 2
        if text and text.strip() and fts_query(text):
            where.append("(id IN (SELECT run_id FROM search_index WHERE search_index MATCH ?)"
                         " OR name LIKE ? OR note LIKE ? OR question LIKE ?)")
            params += [fts_query(text)] + [f"%{storable(text).strip()}%"] * 3
        elif text and text.strip():   # no searchable word (only NULs, say): the plain-text columns only
            where.append("(name LIKE ? OR note LIKE ? OR question LIKE ?)")
            params += [f"%{storable(text).strip()}%"] * 3
        start, end = to_epoch(since, "since"), to_epoch(until, "until")
        if start is not None:
            where.append("created_at >= ?")
            params.append(start)
        if end is not None:
            where.append("created_at <= ?")
            params.append(end)
        if tag:
            where.append("id IN (SELECT run_id FROM tags WHERE tag = ?)")
            params.append(storable(tag))
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        params += [int(limit), int(offset)]
        with self._lock:
            runs = [self._run_dict(r) for r in self.db.query(sql, params)]
            tags: dict[str, list[str]] = {}
            if runs:
                marks = ",".join("?" * len(runs))
                for run_id, name in self._conn.execute(
                        f"SELECT run_id, tag FROM tags WHERE run_id IN ({marks}) ORDER BY tag",
                        [r["id"] for r in runs]):
                    tags.setdefault(run_id, []).append(name)
            finding_kinds = self._finding_kinds([r["id"] for r in runs])
        for run in runs:
            run["tags"] = tags.get(run["id"], [])
            run["finding_kinds"] = finding_kinds.get(run["id"], [])
        return runs

    def load_events(self, run_id: str) -> list[Event]:
        run_id = self.resolve_run_id(run_id)
        with self._lock, gc_paused():   # every event read stays alive: nothing for the GC to collect
            return read_events(self._conn, run_id)

    def load_nodes(self, run_id: str) -> list[dict[str, Any]]:
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            cursor = self._conn.execute('SELECT * FROM node_rows WHERE run_id = ? ORDER BY "order", id', (run_id,))
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor]
            chunked = node_chunks.chunked_node_rows(self._conn, run_id)
        loads = json.loads
        for row in rows:
            extra = row["extra"]
            row["extra"] = loads(extra) if extra and extra != "{}" else {}
            row["tokens_estimated"] = bool(row["tokens_estimated"])
        if chunked:
            fields = ("run_id", *node_chunks.NODE_FIELDS)
            rows.extend(dict(zip(fields, (run_id, *values), strict=True)) for values in chunked)
            rows.sort(key=lambda r: (r["order"], r["id"]))
        return rows

    def subtree_totals(self, run_id: str, nodes: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        """node id -> totals of its subtree (pass `nodes` from load_nodes to skip loading them again)."""
        tree = self.load_tree(run_id, nodes)
        return {node_id: tree.totals(node_id).to_dict() for node_id in tree.nodes}

    def load_tree(self, run_id: str, nodes: list[dict[str, Any]] | None = None) -> RunTree:
        """The run tree of a stored run from its node rows (the same fold and totals as a live run)."""
        with gc_paused():   # the rows and records of a large run all stay alive: nothing to collect
            rows = self.load_nodes(run_id) if nodes is None else nodes
            return RunTree.from_nodes(NodeRecord.from_row(r) for r in rows)

    def load_column_tree(self, run_id: str) -> ColumnTree:
        """The run tree from its node rows in one query, held as columns (opening a large run in the app)."""
        run_id = self.resolve_run_id(run_id)
        with self._lock, gc_paused():
            return run_reads.column_tree(self._conn, run_id)

    def load_events_at(self, run_id: str, seqs: Iterable[int | None]) -> list[Event]:
        """Only the run's events with these sequence numbers (a node's opening and closing: its details)."""
        with self._lock:
            return run_reads.events_at(self._conn, run_id, seqs)

    def load_run_events(self, run_id: str, seqs: Iterable[int | None] = ()) -> list[Event]:
        """The events about the run as a whole: `seqs` (the root's start and finish), notices, documents,
        and the first and last event."""
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            return run_reads.run_events(self._conn, run_id, seqs)

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        query = fts_query(text or "")
        if not query:
            raise StorageError("give some words to search for")
        with self._lock:
            rows = self._conn.execute(
                "SELECT run_id, node_id, field, snippet(search_index, 0, '[', ']', '…', 12) "
                "FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT ?", (query, int(limit)))
            return [{"run_id": r[0], "node_id": r[1], "field": r[2], "snippet": r[3]} for r in rows]

    def get_blob(self, digest: str) -> str:
        with self._lock:
            row = self._conn.execute("SELECT data, compressed FROM blobs WHERE hash = ?", (digest,)).fetchone()
        if row is None:
            raise StorageError(f"no stored text with hash {digest!r}")
        return decode_blob(row[0], row[1])

    # -- editing -----------------------------------------------------------------------------
    def delete_run(self, run_id: str) -> None:
        """Delete a run with its events, nodes, tags, search entries, and the texts no other run uses."""
        run_id = self.resolve_run_id(run_id)
        with self._lock, self.transaction():
            conn = self._conn
            hashes = [r[0] for r in conn.execute("SELECT hash FROM blob_refs WHERE run_id = ?", (run_id,))]
            conn.execute("DELETE FROM search_index WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM blobs WHERE hash IN ({marks}) AND NOT EXISTS "
                             "(SELECT 1 FROM blob_refs WHERE blob_refs.hash = blobs.hash)", chunk)

    def rename_run(self, run_id: str, name: str) -> None:
        self._set(run_id, "name", name.strip())

    def set_note(self, run_id: str, note: str) -> None:
        self._set(run_id, "note", note)

    def _set(self, run_id: str, column: str, value: str) -> None:
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            self._conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (storable(value), run_id))

    def add_tag(self, run_id: str, tag: str) -> None:
        tag = storable(tag).strip()
        if not tag:
            raise StorageError("a tag cannot be empty")
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?, ?)", (run_id, tag))

    def remove_tag(self, run_id: str, tag: str) -> None:
        run_id = self.resolve_run_id(run_id)
        with self._lock:
            self._conn.execute("DELETE FROM tags WHERE run_id = ? AND tag = ?", (run_id, storable(tag).strip()))

    def tags(self, run_id: str | None = None) -> list[str]:
        """The tags of one run, or every tag in use."""
        with self._lock:
            if run_id is None:
                return [r[0] for r in self._conn.execute("SELECT DISTINCT tag FROM tags ORDER BY tag")]
            return self._tags(self.resolve_run_id(run_id))

    def _tags(self, run_id: str) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", (run_id,))]

    def run_exists(self, run_id: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None

    # -- import / export ---------------------------------------------------------------------
    def export_run(self, run_id: str, path: str | os.PathLike[str] | None = None, format: str = "rlm-studio",
                   out: IO[str] | None = None) -> Path | None:
        """Write the run to `path` (or the text stream `out`): format "rlm-studio" or "official"."""
        from .exporting import export_run

        return export_run(self, self.resolve_run_id(run_id), Path(path) if path else None, format, out)

    def import_file(self, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
        """Import our JSONL or an official RLMLogger log; returns [{run_id, original_run_id, renamed}]."""
        from .importing import import_file

        return import_file(self, Path(path))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
