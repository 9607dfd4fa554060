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
        self._ingest = Ingest(writer_pid=os.getpid(), writer_host=socket.gethostname())
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._open_runs: set[str] = set()
        self._error: Exception | None = None
        self._closed = False
        self._close_lock = threading.Lock()
        self.events_written = 0
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
            raise StorageError(f"could not store events in {self.path}: {error}") from error

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
                else:
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
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._ingest.write(conn, batch, time.time())
            conn.execute("COMMIT")
            self.events_written += len(batch)
        except Exception as exc:  # keep the run going; flush()/close() report it
            log.exception("storing %d events failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._error = exc
            return
        for event in batch:
            if event.kind == "run_started" and event.parent_id is None:
                self._open_runs.add(event.run_id)
            elif event.kind == "run_finished" and event.parent_id is None:
                self._open_runs.discard(event.run_id)
                # the run is over: forget its fold (a late event would reload it from the file)
                self._ingest.runs.pop(event.run_id, None)

    def _heartbeat(self) -> None:
        if not self._open_runs:
            return
        try:
            marks = ",".join("?" * len(self._open_runs))
            self._conn.execute(f"UPDATE runs SET heartbeat_at = ? WHERE id IN ({marks})",
                               (time.time(), *self._open_runs))
        except sqlite3.Error:
            log.warning("could not refresh the heartbeat of open runs", exc_info=True)
