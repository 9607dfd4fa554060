"""Accept events as typed objects or as their stored dicts, so every analysis takes either."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event, event_from_dict


def as_event(event: Event | dict[str, Any]) -> Event:
    if isinstance(event, Event):
        return event
    if isinstance(event, dict):
        return event_from_dict(event)
    raise TypeError(f"expected an event or an event dict, not {type(event).__name__}")


def as_events(events: Iterable[Event | dict[str, Any]]) -> list[Event]:
    return [as_event(e) for e in events]
