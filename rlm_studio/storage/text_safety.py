"""Making any Python text storable: a lone surrogate becomes the visible six-character escape `\\udXXX`.

Python strings can hold lone surrogates (`print('\\ud800')` in a cell, or a file name that is not valid
UTF-8, which `os.fsdecode` turns into `\\udcXX`). UTF-8 cannot encode them, so SQLite, zlib blobs and
exported files would refuse them. Every text that storage keeps goes through `storable` (or
`storable_value` / `storable_event`): the text is kept, and each lone surrogate is written as the
backslash escape Python itself prints for it (`'\\ud800'` is stored as the six characters `\\ud800`).
Text without surrogates is returned unchanged (the check is one `isascii()` or one encode).
"""

from __future__ import annotations

import copy
from typing import TypeVar, cast

from rlm_studio.engine.events import Event

T = TypeVar("T")


def storable(text: str) -> str:
    """`text` with each lone surrogate written as its `\\udXXX` escape; the same object if it has none."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def storable_row(row: tuple[object, ...]) -> bool:
    """True when every string of a database row (an event's envelope and JSON payload) can be stored as it is:
    the cheap check for every event (`isascii()` is immediate; only other texts are encoded)."""
    for value in row:
        if isinstance(value, str) and not value.isascii() and storable(value) is not value:
            return False
    return True


def event_row_storable(row: tuple[object, ...]) -> bool:
    """`storable_row` for an `events` row (run_id, seq, kind, v, ts, node_id, parent_id, payload) whose run id
    the caller has checked, the usual all-ASCII case first: its kind is a class's constant, so the node and
    parent ids and the payload are its only other texts."""
    node_id, parent_id, payload = row[5], row[6], row[7]
    if isinstance(payload, str) and isinstance(node_id, str) and payload.isascii() and node_id.isascii() \
            and (parent_id is None or isinstance(parent_id, str) and parent_id.isascii()):
        return True
    return storable_row(row)


def _is_storable(value: object) -> bool:
    """True when no string inside `value` (dict keys included) holds a lone surrogate."""
    if isinstance(value, str):
        return storable(value) is value
    if isinstance(value, dict):
        return all(_is_storable(k) and _is_storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_storable(v) for v in value)
    return True


def storable_value(value: T) -> T:
    """A copy of a JSON-like value (str, dict, list, tuple, scalars) with every string made storable."""
    # each branch rebuilds a value of the type it tested, which mypy cannot relate back to T
    if isinstance(value, str):
        return cast(T, storable(value))
    if isinstance(value, dict):
        return cast(T, {storable_value(k): storable_value(v) for k, v in value.items()})
    if isinstance(value, list):
        return cast(T, [storable_value(v) for v in value])
    if isinstance(value, tuple):
        return cast(T, tuple(storable_value(v) for v in value))
    return value


def storable_event(event: Event) -> Event:
    """The event itself when all its texts are storable, else a copy with each text made storable.

    The event is never changed in place: the app and the CLI hold the same object.
    """
    fields = event.__dict__
    if all(_is_storable(v) for v in fields.values()):
        return event
    clean = copy.copy(event)
    for name, value in fields.items():
        clean.__dict__[name] = storable_value(value)
    return clean
