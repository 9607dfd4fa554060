"""Import a run file: our own JSONL export, or a log written by the official `rlms` RLMLogger.

The whole file is read and checked first, then stored in one transaction: a file with a bad line
(the error names the file, the line and what is wrong) leaves the database exactly as it was.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlm_studio.engine.events import SCHEMA_VERSION, Event, EventFormatError, event_from_dict, new_run_id

from .errors import StorageError
from .run_file import FORMAT_NAME, FORMAT_VERSION
from .text_safety import storable

if TYPE_CHECKING:
    from .store import Store


class FileFormatError(StorageError):
    def __init__(self, path: Path, line: int | None, reason: str):
        where = f"{path.name}, line {line}" if line else path.name
        super().__init__(f"cannot import {where}: {reason}; nothing was imported")


def read_jsonl(path: Path) -> list[tuple[int, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    rows = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FileFormatError(path, number, f"not valid JSON ({exc})") from None
    if not rows:
        raise FileFormatError(path, None, "the file is empty")
    return rows


def import_file(store: Store, path: Path) -> list[dict[str, Any]]:
    rows = read_jsonl(path)
    first_line, first = rows[0]
    if not isinstance(first, dict):
        raise FileFormatError(path, first_line, "expected a JSON object")
    if first.get("format") == FORMAT_NAME:
        runs = [_parse_own(store, path, rows)]
    elif first.get("type") in ("metadata", "iteration") or "code_blocks" in first:
        from .official_import import convert_log

        runs = convert_log(path, rows, lambda line, reason: FileFormatError(path, line, reason))
    else:
        raise FileFormatError(path, first_line, "this is neither an RLM Studio run export "
                              f'(first line {{"format": "{FORMAT_NAME}", ...}}) nor an RLMLogger log')
    results = []
    events: list[Event] = []
    fixups = []
    taken: set[str] = set()
    for run in runs:
        original = run["run_id"]
        run_id = original
        if store.run_exists(run_id) or run_id in taken:
            run_id = new_run_id()
            for event in run["events"]:
                event.run_id = run_id
        taken.add(run_id)
        events += run["events"]
        fixups.append((run_id, run.get("run") or {}, run.get("finished", True)))
        results.append({"run_id": run_id, "original_run_id": original, "renamed": run_id != original,
                         "source": run["source"], "events": len(run["events"])})

    def apply_fixups(conn: sqlite3.Connection) -> None:
        for run_id, meta, finished in fixups:
            for column in ("name", "note"):
                if meta.get(column):
                    conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (storable(str(meta[column])), run_id))
            for tag in meta.get("tags") or []:
                conn.execute("INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?, ?)", (run_id, storable(str(tag))))
            if not finished:  # an export of a run that never finished: keep the status it had
                status = meta.get("status") if meta.get("status") not in (None, "running") else "interrupted"
                conn.execute("UPDATE runs SET status = ?, ended_at = ?, duration_ms = ? WHERE id = ?",
                             (status, meta.get("ended_at"), meta.get("duration_ms"), run_id))
            if meta.get("parent_run_id"):
                conn.execute("UPDATE runs SET parent_run_id = ?, fork_node_id = ? WHERE id = ? AND EXISTS "
                             "(SELECT 1 FROM runs WHERE id = ?)",
                             (meta["parent_run_id"], meta.get("fork_node_id"), run_id, meta["parent_run_id"]))

    store.ingest_events(events, after=apply_fixups)
    return results


def _parse_own(store: Store, path: Path, rows: list[tuple[int, Any]]) -> dict[str, Any]:
    line, header = rows[0]
    version = header.get("version")
    if not isinstance(version, int):
        raise FileFormatError(path, line, "the header has no integer 'version'")
    if version > FORMAT_VERSION:
        raise FileFormatError(path, line, f"written by a newer RLM Studio (file format {version}; "
                                          f"this version reads up to {FORMAT_VERSION})")
    run_id = header.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        raise FileFormatError(path, line, "the header has no 'run_id'")
    events: list[Event] = []
    last_seq = 0
    root_finished = False
    for number, data in rows[1:]:
        if not isinstance(data, dict):
            raise FileFormatError(path, number, f"an event must be a JSON object, not {type(data).__name__}")
        for name, kind in (("kind", str), ("seq", int), ("ts", (int, float)), ("run_id", str)):
            if name not in data:
                raise FileFormatError(path, number, f"the event has no '{name}'")
            if not isinstance(data[name], kind) or isinstance(data[name], bool):
                raise FileFormatError(path, number, f"'{name}' has the wrong type ({type(data[name]).__name__})")
        if data["run_id"] != run_id:
            raise FileFormatError(path, number, f"event of run {data['run_id']!r} in the file of run {run_id!r}")
        if data["seq"] <= last_seq:
            raise FileFormatError(path, number, f"seq {data['seq']} is not after {last_seq}")
        last_seq = data["seq"]
        try:
            event = event_from_dict(data)
        except EventFormatError as exc:
            raise FileFormatError(path, number, str(exc)) from None
        if event.ephemeral:
            continue
        if event.kind == "run_finished" and event.parent_id is None:
            root_finished = True
        events.append(event)
    if not events or events[0].kind != "run_started":
        raise FileFormatError(path, rows[1][0] if len(rows) > 1 else line, "the first event must be run_started")
    if int(header.get("event_schema", SCHEMA_VERSION)) > SCHEMA_VERSION:
        raise FileFormatError(path, line, "its events use a newer schema than this version reads")
    return {"run_id": run_id, "events": events, "run": header.get("run") or {}, "finished": root_finished,
            "source": FORMAT_NAME}
