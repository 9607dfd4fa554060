"""`BenchStore`: benches and their task rows in the app's SQLite file (tables from migration m003_bench)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from rlm_studio.storage.connection import connect
from rlm_studio.storage.errors import StorageError
from rlm_studio.storage.liveness import pid_alive

RESULT_COLUMNS = ("run_id", "status", "score", "answer", "cost_usd", "cost_unknown", "input_tokens",
                  "output_tokens", "duration_ms", "model_ms", "run_status", "error")


def new_bench_id() -> str:
    return f"b{int(time.time() * 1000):012x}{os.urandom(2).hex()}"


class BenchStore:
    """Its own connection to the database file the runs are in; thread-safe."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._conn: sqlite3.Connection = connect(self.path)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> BenchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    # -- benches --------------------------------------------------------------------------------
    def create_bench(self, suite: str, settings: dict[str, Any], tasks: list[dict[str, Any]],
                     bench_id: str | None = None, name: str = "") -> str:
        """A new bench with its planned rows ({task_id, method, config, family, size_tokens, expected})."""
        bench_id = bench_id or new_bench_id()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO benches (id, suite, name, settings, created_at, status) VALUES (?, ?, ?, ?, ?, ?)",
                    (bench_id, suite, name, json.dumps(settings), time.time(), "running"))
                self._conn.executemany(
                    "INSERT INTO bench_tasks (bench_id, task_id, method, config, family, size_tokens, position, "
                    "expected) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(bench_id, t["task_id"], t["method"], t.get("config", ""), t["family"],
                      int(t.get("size_tokens", 0)), i, json.dumps(t.get("expected", [])))
                     for i, t in enumerate(tasks)])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        self.set_status(bench_id, "running")   # records this process as the bench's writer
        return bench_id

    def resolve_bench_id(self, prefix: str) -> str:
        prefix = (prefix or "").strip()
        if not prefix:
            raise StorageError("give a bench id (or the first characters of one)")
        ids = [r["id"] for r in self._rows("SELECT id FROM benches WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                                           (prefix, prefix + "\uffff"))]
        if prefix in ids:
            return prefix
        if not ids:
            raise StorageError(f"no bench with id {prefix!r} in {self.path}")
        if len(ids) > 1:
            raise StorageError(f"bench id {prefix!r} is ambiguous ({', '.join(ids[:5])}); give more characters")
        return str(ids[0])

    def get_bench(self, bench_id: str) -> dict[str, Any]:
        bench_id = self.resolve_bench_id(bench_id)
        self.mark_interrupted()
        bench = self._rows("SELECT * FROM benches WHERE id = ?", (bench_id,))[0]
        bench["settings"] = json.loads(bench["settings"] or "{}")
        counts = self._rows("SELECT status, count(*) AS n FROM bench_tasks WHERE bench_id = ? GROUP BY status",
                            (bench_id,))
        bench["counts"] = {r["status"]: r["n"] for r in counts}
        bench["total"] = sum(bench["counts"].values())
        return bench

    def list_benches(self, limit: int = 100) -> list[dict[str, Any]]:
        self.mark_interrupted()
        rows = self._rows(
            "SELECT b.*, count(t.task_id) AS total, sum(t.status = 'done') AS done, "
            "sum(t.status = 'failed') AS failed, avg(t.score) AS mean_score, sum(t.cost_usd) AS cost_usd "
            "FROM benches b LEFT JOIN bench_tasks t ON t.bench_id = b.id GROUP BY b.id "
            "ORDER BY b.created_at DESC LIMIT ?", (int(limit),))
        for row in rows:
            row["settings"] = json.loads(row["settings"] or "{}")
        return rows

    def set_status(self, bench_id: str, status: str) -> None:
        """'running' also records which process runs it, so a bench whose process died reads 'interrupted'."""
        finished = time.time() if status != "running" else None
        writer = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}) if status == "running" else "null"
        with self._lock:
            self._conn.execute("UPDATE benches SET status = ?, finished_at = ?, "
                               "settings = json_set(settings, '$._writer', json(?)) WHERE id = ?",
                               (status, finished, writer, bench_id))

    def mark_interrupted(self) -> list[str]:
        """Benches left 'running' by a process of this host that is gone become 'interrupted'; their ids."""
        marked = []
        for row in self._rows("SELECT id, json_extract(settings, '$._writer.pid') AS pid, "
                              "json_extract(settings, '$._writer.host') AS host FROM benches WHERE status = 'running'"):
            if row["host"] == socket.gethostname() and row["pid"] is not None and not pid_alive(int(row["pid"])):
                with self._lock:
                    self._conn.execute("UPDATE benches SET status = 'interrupted' WHERE id = ? AND status = 'running'",
                                       (row["id"],))
                marked.append(str(row["id"]))
        return marked

    def delete_bench(self, bench_id: str) -> None:
        """The bench and its rows (its runs stay in the run list)."""
        bench_id = self.resolve_bench_id(bench_id)
        with self._lock:
            self._conn.execute("DELETE FROM benches WHERE id = ?", (bench_id,))

    # -- task rows --------------------------------------------------------------------------------
    def tasks(self, bench_id: str, status: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM bench_tasks WHERE bench_id = ?"
        params: list[Any] = [bench_id]
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = self._rows(sql + " ORDER BY position", params)
        for row in rows:
            row["expected"] = json.loads(row["expected"] or "[]")
            row["cost_unknown"] = bool(row["cost_unknown"])
        return rows

    def missing(self, bench_id: str) -> list[dict[str, Any]]:
        """Rows still to run: pending ones, and failed ones (a failure of the harness, not a wrong answer)."""
        return [r for r in self.tasks(bench_id) if r["status"] != "done"]

    def record_result(self, bench_id: str, result: dict[str, Any]) -> None:
        """Store one finished task ({task_id, method, config} plus RESULT_COLUMNS)."""
        values = [result.get(c) for c in RESULT_COLUMNS]
        values[RESULT_COLUMNS.index("cost_unknown")] = int(bool(result.get("cost_unknown")))
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE bench_tasks SET " + ", ".join(f"{c} = ?" for c in RESULT_COLUMNS) +
                " WHERE bench_id = ? AND task_id = ? AND method = ? AND config = ?",
                (*values, bench_id, result["task_id"], result["method"], result.get("config", "")))
            if cursor.rowcount != 1:
                raise StorageError(f"bench {bench_id} has no task {result['task_id']} / {result['method']}")

    def findings_by_method(self, bench_id: str) -> list[dict[str, Any]]:
        """How many of each method's runs had each finding: {method, config, model, kind, runs, of}."""
        return self._rows(
            "SELECT t.method, t.config, r.root_model AS model, f.kind, count(DISTINCT f.run_id) AS runs, "
            "(SELECT count(*) FROM bench_tasks t2 JOIN runs r2 ON r2.id = t2.run_id WHERE t2.bench_id = t.bench_id "
            "AND t2.method = t.method AND t2.config = t.config AND r2.root_model = r.root_model) AS of "
            "FROM bench_tasks t JOIN findings f ON f.run_id = t.run_id JOIN runs r ON r.id = t.run_id "
            "WHERE t.bench_id = ? GROUP BY t.method, t.config, r.root_model, f.kind "
            "ORDER BY t.method, t.config, f.kind", (bench_id,))
