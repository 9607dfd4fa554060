"""Accept events as typed objects or as their stored dicts, so every analysis takes either."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event
from rlm_studio.engine.run_tree import as_event

__all__ = ["as_event", "as_events"]


def as_events(events: Iterable[Event | dict[str, Any]]) -> list[Event]:
    return [as_event(e) for e in events]
