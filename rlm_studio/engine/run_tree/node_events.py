"""The events of a run grouped by node: what opened it, what closed it, and its children in order.

Built from the one registry of node-opening events (`Event.opens` / `Event.closes`); for readers that
need the events themselves (exports, detectors), next to the tree's figures.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..events import Event


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

    def kids(self, node_id: str | None, kind: str) -> list[Event]:
        """The opening events of the node's children of one node kind ("iteration", "cell", ...), in order."""
        return [self.opened[n] for n in self.children.get(node_id, ()) if self.opened[n].opens == kind]
