"""The events of a run grouped by node: what opened it, what closed it, and its children in order.

Built from the one registry of node-opening events (`Event.opens` / `Event.closes`); for readers that
need the events themselves (exports, detectors), next to the tree's figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from ..events import Event

E = TypeVar("E", bound=Event)


class NodeEvents:
    def __init__(self, events: Iterable[Event]) -> None:
        self.opened: dict[str, Event] = {}
        self.closed: dict[str, Event] = {}
        self.children: dict[str | None, list[str]] = {}
        for event in events:
            if event.opens is not None:
                if event.node_id not in self.opened:
                    self.opened[event.node_id] = event
                    self.children.setdefault(event.parent_id, []).append(event.node_id)
            elif event.closes:
                self.closed.setdefault(event.node_id, event)

    def kids(self, node_id: str | None, cls: type[E]) -> list[E]:
        """The opening events of the node's children that are `cls` events (IterationStarted, ...), in order."""
        return [e for n in self.children.get(node_id, ()) if isinstance(e := self.opened[n], cls)]

    def closing(self, node_id: str, cls: type[E]) -> E | None:
        """The event that closed the node, when it is a `cls` event."""
        event = self.closed.get(node_id)
        return event if isinstance(event, cls) else None
