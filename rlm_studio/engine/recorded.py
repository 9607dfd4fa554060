"""Reading a stored run's own inputs back from its events (for fork and re-execution)."""

from __future__ import annotations

from .events import ContextAttached, Event, RunStarted
from .stored_context import StoredContext, stored_context


def root_run_started(events: list[Event]) -> RunStarted:
    for event in events:
        if isinstance(event, RunStarted) and event.depth == 0:
            return event
    raise ValueError("the events hold no root run_started event")


def recorded_context(events: list[Event], root: RunStarted | None = None
                     ) -> str | list[str] | dict[str, str] | StoredContext:
    """The run's context, rebuilt in its original shape from its context_attached events (a StoredContext for
    a file-backed run, whose text is in the blob store only)."""
    root = root or root_run_started(events)
    parts = sorted((e for e in events if isinstance(e, ContextAttached) and e.node_id == root.node_id),
                   key=lambda e: e.index)
    stored = stored_context(root.context_kind, parts)
    if stored is not None:
        return stored
    if root.context_kind == "str":
        return parts[0].text if parts else ""
    if root.context_kind == "dict":
        return {p.name: p.text for p in parts}
    return [p.text for p in parts]
