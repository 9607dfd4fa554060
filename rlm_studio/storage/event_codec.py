"""An event <-> an `events` row: envelope columns plus a JSON payload with big texts as blob refs.

The payload leaves out each field whose value is its class's default (the same type and equal): reading
fills defaults in, so the event reads back the same, and most events' payloads are a few fields (a third
of the encoding time at ingest). Rows written before this kept every field; both read the same way.
Changing a field's default therefore changes what such a stored event means: it needs a new event schema
version `v`, whose upgrade step (engine/events/upgrade.py) fills in the old default.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from operator import itemgetter
from typing import Any

from rlm_studio.engine.events import Event, EventFormatError, event_from_dict

from .blobs import BlobCollector, blob_hashes, hydrate, load_texts
from .errors import StorageError
from .event_chunks import chunked_events
from .json_text import encode_json

ENVELOPE = ("v", "kind", "run_id", "seq", "ts", "node_id", "parent_id")
_NO_DEFAULT = object()
_PAYLOAD_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}   # event class -> (name, default) of its payload


def _payload_fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """The payload fields of an event class (its dataclass fields but the envelope) with their defaults."""
    found = _PAYLOAD_FIELDS.get(cls)
    if found is None:
        found = _PAYLOAD_FIELDS[cls] = tuple(
            (f.name, f.default if f.default is not dataclasses.MISSING else
             f.default_factory() if f.default_factory is not dataclasses.MISSING else _NO_DEFAULT)
            for f in dataclasses.fields(cls) if f.name not in ENVELOPE)
    return found


def event_payload(event: Event) -> dict[str, Any]:
    """The event's fields but the envelope, without those equal to their default (see the module's note)."""
    values = event.__dict__
    payload = {}
    for name, default in _PAYLOAD_FIELDS.get(type(event)) or _payload_fields(type(event)):
        value = values[name]
        if value is not default and (type(value) is not type(default) or value != default):
            payload[name] = value
    return payload


def event_row(event: Event, collector: BlobCollector) -> tuple[str, int, str, int, float, str, str | None, str]:
    payload = collector.dehydrate(event.kind, event_payload(event))
    return (event.run_id, event.seq, event.kind, event.v, event.ts, event.node_id, event.parent_id,
            encode_json(payload))


def read_events(conn: sqlite3.Connection, run_id: str) -> list[Event]:
    """Every stored event of the run in order: its `events` rows and its chunked sub-call events."""
    rows: list[Any] = conn.execute("SELECT seq, kind, v, ts, node_id, parent_id, payload FROM events "
                                   "WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
    chunked = chunked_events(conn, run_id)
    if chunked:
        rows = sorted(rows + chunked, key=itemgetter(0))
    return decode_rows(conn, run_id, rows)


def decode_rows(conn: sqlite3.Connection, run_id: str, rows: list[Any]) -> list[Event]:
    """Events from rows (seq, kind, v, ts, node_id, parent_id, payload: JSON text, or a dict from a chunk),
    their texts read back."""
    payloads: list[dict[str, Any]] = [r[6] if isinstance(r[6], dict) else json.loads(r[6]) for r in rows]
    hashes = [h for p in payloads for h in blob_hashes(p)]
    texts = load_texts(conn, hashes) if hashes else {}
    events = []
    for row, payload in zip(rows, payloads, strict=True):
        data = hydrate(payload, texts)
        data.update(v=row[2], kind=row[1], run_id=run_id, seq=row[0], ts=row[3], node_id=row[4],
                    parent_id=row[5])
        try:
            events.append(event_from_dict(data))
        except EventFormatError as exc:
            raise StorageError(f"run {run_id}: stored event {row[0]} cannot be read: {exc}") from None
    return events
