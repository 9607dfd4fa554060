"""Payloads leave out fields equal to their default; every event type still reads back as it was written,
a value equal to a default but of another type (0 for 0.0, False for 0) keeps its type, and rows written
with every field (before this) read the same."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlm_studio.engine.events import Event, event_from_dict
from rlm_studio.engine.events.base import _REGISTRY
from rlm_studio.storage import Store
from rlm_studio.storage.blobs import BlobCollector, store_blobs
from rlm_studio.storage.event_codec import encode_json, event_payload, event_row
from rlm_studio.storage.run_reads import decode_rows

EVENT_CLASSES = sorted((cls for cls in _REGISTRY.values() if not cls.ephemeral), key=lambda c: c.kind)
ENVELOPE = {"run_id", "seq", "ts", "node_id", "parent_id", "v"}

json_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([0.0, -0.0, 1.5, 0, 1, ""]) | \
    st.text(max_size=5) | st.text(min_size=201, max_size=260)   # past the inline limit: a blob
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else None


def _look_alikes(value: Any) -> list[Any]:
    """Values equal to `value` but of another type, which must not be taken for the default."""
    if isinstance(value, bool):
        return [int(value), float(value)]
    if isinstance(value, (int, float)):
        return [v for v in (int(value), float(value), bool(value)) if type(v) is not type(value) and v == value]
    return []


@st.composite
def events(draw: st.DrawFn) -> Event:
    """Any stored event type, each payload field its default, a look-alike of it, or any JSON value."""
    cls = draw(st.sampled_from(EVENT_CLASSES))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in ENVELOPE:
            continue
        default = _default(f)
        # a list or dict field gets a list or dict (the codec reads messages and settings as such)
        kind = st.lists(json_values, max_size=3) if isinstance(default, list) else \
            st.dictionaries(st.text(max_size=4), json_values, max_size=3) if isinstance(default, dict) else json_values
        values[f.name] = draw(st.sampled_from([default, *_look_alikes(default)]) | kind)
    return cls(**values)


def _as_stored(event: Event) -> dict[str, Any]:
    """What a JSON round trip makes of the event (tuples become lists); the envelope is set by the writer."""
    data: dict[str, Any] = json.loads(encode_json(event.to_dict()))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=12))
def test_every_event_type_reads_back_as_written(batch: list[Event]) -> None:
    """Through the codec and a real file (any field values, so not through the fold, which needs real ones)."""
    for seq, event in enumerate(batch, start=1):
        event.run_id, event.seq, event.ts, event.node_id = "r1", seq, 1000.0 + seq, f"x{seq}"
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "runs.db") as store:
        conn = store._conn
        conn.execute("INSERT INTO runs(id, created_at) VALUES ('r1', 0)")
        collector = BlobCollector()
        rows = [event_row(e, collector) for e in batch]
        store_blobs(conn, "r1", collector)
        conn.executemany("INSERT INTO events(run_id, seq, kind, v, ts, node_id, parent_id, payload) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        stored = conn.execute("SELECT seq, kind, v, ts, node_id, parent_id, payload FROM events ORDER BY seq")
        back = decode_rows(conn, "r1", stored.fetchall())
    assert [_as_stored(e) for e in back] == [_as_stored(e) for e in batch]
    for written, read in zip(batch, back, strict=True):   # same types too (0 is not 0.0, False is not 0)
        for name, value in written.__dict__.items():
            if isinstance(value, (bool, int, float)):
                assert type(read.__dict__[name]) is type(value), (written.kind, name)


def test_a_default_valued_field_is_left_out_and_a_look_alike_is_kept() -> None:
    from rlm_studio.engine.events import SubcallFinished

    event = SubcallFinished(node_id="n1", response="r", usage={}, cost_usd=None, latency_ms=0, retries=0)
    payload = event_payload(event)
    assert payload == {"response": "r", "latency_ms": 0}   # 0 is not the default 0.0: kept, as an int
    assert json.loads(event_row(event, BlobCollector())[7]) == {"response": "r", "latency_ms": 0}


def test_rows_with_every_field_read_the_same_as_compact_ones(store: Store) -> None:
    """A row written before payloads were compact (every field in it) reads back as the compact one does."""
    from rlm_studio.engine.events import CellStarted, RunStarted

    events = [RunStarted(run_id="r1", seq=1, node_id="n1", question="q", root_model="m"),
              CellStarted(run_id="r1", seq=2, node_id="n2", parent_id="n1", code="x = 1", index=1)]
    store.ingest_events(events)
    conn = store._conn
    full = {e.seq: {k: v for k, v in e.to_dict().items() if k not in ENVELOPE | {"kind"}} for e in events}
    compact = dict(conn.execute("SELECT seq, payload FROM events WHERE run_id = 'r1'").fetchall())
    assert len(compact[2]) < len(encode_json(full[2]))
    before = [e.to_dict() for e in store.load_events("r1")]
    for seq, payload in full.items():
        conn.execute("UPDATE events SET payload = ? WHERE run_id = 'r1' AND seq = ?", (encode_json(payload), seq))
    after = [e.to_dict() for e in store.load_events("r1")]
    assert after == before == [event_from_dict(e.to_dict()).to_dict() for e in events]
