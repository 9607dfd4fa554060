"""The event envelope shared by every event type, and (de)serialisation by `kind`.

One stream of these events is the single source of truth of a run: the database, the desktop
app, the CLI and replay all consume it. Every event is a flat JSON object with a schema
version `v`, a `kind`, the run it belongs to, its position `seq` in the run's stream, and the
tree node it concerns (`node_id`, with `parent_id` the node's parent).
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .payloads import NodeKind
from .upgrade import upgrade

SCHEMA_VERSION = 2   # 2: run_finished.totals is the run tree's Totals (upgrade.py reads v1)

_REGISTRY: dict[str, type[Event]] = {}


class EventFormatError(ValueError):
    """An event dict that cannot be read: unknown kind, newer schema, or wrong fields."""


@dataclass(kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    #: events only a live view cares about (stream deltas); not stored.
    ephemeral: ClassVar[bool] = False
    #: the one registry of node-opening events: the tree node kind this event opens (None: opens none)
    opens: ClassVar[NodeKind | None] = None
    #: this event closes the node it names (the matching *_finished)
    closes: ClassVar[bool] = False

    run_id: str = ""
    seq: int = 0
    ts: float = field(default_factory=time.time)
    node_id: str = ""
    parent_id: str | None = None
    v: int = SCHEMA_VERSION

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            _REGISTRY[cls.kind] = cls

    def to_dict(self) -> dict[str, Any]:
        data = {"v": self.v, "kind": self.kind}
        for f in dataclasses.fields(self):
            if f.name != "v":
                data[f.name] = getattr(self, f.name)
        return data


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild a typed event; an older schema is upgraded, fields unknown to this version are ignored, a
    newer schema is refused."""
    if not isinstance(data, dict):
        raise EventFormatError(f"an event must be a JSON object, not {type(data).__name__}")
    kind = data.get("kind")
    cls = _REGISTRY.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventFormatError(f"unknown event kind {kind!r}")
    version = data.get("v", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise EventFormatError(f"event schema version {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise EventFormatError(f"event schema version {version!r} is newer than this app reads ({SCHEMA_VERSION})")
    if version < SCHEMA_VERSION:
        data = upgrade(data, version, SCHEMA_VERSION)
    names = _field_names(cls)
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise EventFormatError(f"bad fields for {kind!r}: {exc}") from None


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    """The dataclass field names of an event class, looked up once (this runs for every stored event)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


def new_run_id() -> str:
    """Sortable by creation time: 12 hex digits of milliseconds, then 8 random hex digits."""
    return f"{int(time.time() * 1000):012x}{os.urandom(4).hex()}"
