"""The event sink that stores a run while it happens: `append` never blocks, a thread writes batches.

Events are serialised by the thread, after `append` returned: an emitted event must not be changed
afterwards (the engine builds a new event, and new lists, for each emit).
The thread has its own SQLite connection and writes everything queued so far in one transaction,
so the file is at most one batch (about 100 ms) behind the run. While a run is open it refreshes the
run's heartbeat, which tells `Store.mark_interrupted` that a live process is still writing it.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import sqlite3
import threading
import time
from pathlib import Path

from rlm_studio.engine.events import Event

from .connection import connect
from .errors import StorageError
from .ingest import Ingest

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0          # how often an idle writer says it is alive
MAX_BATCH = 20_000          # events per transaction at most
MAX_FAILURES_IN_A_ROW = 20  # after a failed batch, events retried one by one until this many fail in a row
# The writer's own connection: a larger page cache (the indexes of a large run stay in memory between batches)
# and fewer, larger checkpoints (a hot page is copied into the file once instead of at every 4 MB of WAL);
# the WAL file is cut back to 64 MB after a checkpoint. Less CPU and wall time per event (bench_storage.py).
WRITER_PRAGMAS = ("PRAGMA cache_size = -32768", "PRAGMA wal_autocheckpoint = 8000",
                  "PRAGMA journal_size_limit = 67108864")
_STOP = object()


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


class EventWriter:
    """Use as an event sink: `emitter.add_sink(writer.append)`; call `close()` when the run is over."""

    def __init__(self, path: Path, run_id: str | None = None):
        self.path = Path(path)
        self.run_id = run_id
        self._conn: sqlite3.Connection = connect(self.path)
        for pragma in WRITER_PRAGMAS:
            self._conn.execute(pragma)
        self._ingest = Ingest(writer_pid=os.getpid(), writer_host=socket.gethostname())
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._open_runs: set[str] = set()
        self._error: Exception | None = None
        #: run id -> what could not be stored, for runs that lost events (their status is 'damaged')
        self.damage: dict[str, str] = {}
        self._lost: dict[str, int] = {}
        self._first_loss: dict[str, str] = {}
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="rlm-studio-event-writer", daemon=True)
        self._thread.start()

    # -- producer side (any thread, including the asyncio loop) -------------------------------
    def append(self, event: Event) -> None:
        if self._closed:
            raise StorageError("this event writer is closed")
        if event.ephemeral:
            return
        if not event.run_id and self.run_id:
            event.run_id = self.run_id
        self._queue.put(event)

    def __call__(self, event: Event) -> None:
        self.append(event)

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every event appended so far is committed; raise if a batch failed."""
        if self._thread.is_alive():
            marker = _Flush()
            self._queue.put(marker)
            if not marker.done.wait(timeout):
                raise StorageError(f"the database writer is more than {timeout:.0f} s behind")
        if self._error is not None:
            error, self._error = self._error, None
            damaged = ", ".join(f"run {run_id} ({reason})" for run_id, reason in self.damage.items())
            raise StorageError(f"could not store events in {self.path}: {error}"
                               + (f"; marked damaged: {damaged}" if damaged else "")) from error

    def close(self) -> None:
        """Flush and stop; calling it again does nothing."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.flush(timeout=None)
        finally:
            self._queue.put(_STOP)
            self._thread.join()
            self._conn.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer thread ------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                self._heartbeat()
                continue
            batch: list[Event] = []
            markers: list[_Flush] = []
            stop = False
            item = first
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Flush):
                    markers.append(item)
                elif isinstance(item, Event):
                    batch.append(item)
                if stop or len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            for marker in markers:
                marker.done.set()
            if stop:
                return

    def _write(self, batch: list[Event]) -> None:
        try:
            self._commit(batch)
        except Exception as exc:
            log.warning("storing a batch of %d events failed (%s); storing them one by one", len(batch), exc)
            self._forget(batch)
            stored = self._commit_one_by_one(batch)
        else:
            stored = batch
        for event in stored:
            if event.kind == "run_started" and event.parent_id is None:
                self._open_runs.add(event.run_id)
            elif event.kind == "run_finished" and event.parent_id is None:
                self._open_runs.discard(event.run_id)
                # the run is over: forget its fold (a late event would reload it from the file)
                self._ingest.runs.pop(event.run_id, None)

    def _commit(self, events: list[Event]) -> None:
        """Store the events in one transaction; a run already damaged stays marked so (run_finished
        would set its status back)."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._ingest.write(conn, events, time.time())
            for run_id in {e.run_id for e in events} & self.damage.keys():
                conn.execute("UPDATE runs SET status = 'damaged', damage = ? WHERE id = ?",
                             (self.damage[run_id], run_id))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _forget(self, events: list[Event]) -> None:
        """Drop the in-memory fold of these runs: it holds events a rollback took back out of the file."""
        for run_id in {e.run_id for e in events}:
            self._ingest.runs.pop(run_id, None)

    def _commit_one_by_one(self, batch: list[Event]) -> list[Event]:
        """Keep every event that can be stored; count the others and mark their runs damaged."""
        stored: list[Event] = []
        lost: dict[str, list[str]] = {}
        failures_in_a_row = 0
        for event in batch:
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:   # the file refuses everything (disk full, ...)
                lost.setdefault(event.run_id, []).append("")
                continue
            try:
                self._commit([event])
            except Exception as exc:
                failures_in_a_row += 1
                log.error("event %s %d of run %s could not be stored: %s", event.kind, event.seq, event.run_id, exc)
                lost.setdefault(event.run_id, []).append(f"{event.kind} {event.seq}: {exc}")
                self._forget([event])
                if self._error is None:
                    self._error = exc
            else:
                failures_in_a_row = 0
                stored.append(event)
        for run_id, reasons in lost.items():
            self._mark_damaged(run_id, reasons)
        return stored

    def _mark_damaged(self, run_id: str, reasons: list[str]) -> None:
        self._lost[run_id] = self._lost.get(run_id, 0) + len(reasons)
        self._first_loss.setdefault(run_id, next((r for r in reasons if r), "the database refused it"))
        self.damage[run_id] = (f"{self._lost[run_id]} event(s) could not be stored "
                               f"(first: {self._first_loss[run_id]})")
        try:
            self._conn.execute("UPDATE runs SET status = 'damaged', damage = ? WHERE id = ?",
                               (self.damage[run_id], run_id))
        except sqlite3.Error as exc:
            log.error("could not mark run %s as damaged: %s", run_id, exc)

    def _heartbeat(self) -> None:
        if not self._open_runs:
            return
        try:
            marks = ",".join("?" * len(self._open_runs))
            self._conn.execute(f"UPDATE runs SET heartbeat_at = ? WHERE id IN ({marks})",
                               (time.time(), *self._open_runs))
        except sqlite3.Error:
            log.warning("could not refresh the heartbeat of open runs", exc_info=True)
