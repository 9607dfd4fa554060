"""The events of the open run, indexed by node id: the detail pane and header read the full data from here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any


class EventIndex:
    """Holds every stored event of one run (events are the source of truth) plus live stream text."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._by_node: dict[str, list[Any]] = defaultdict(list)
        self.root_started: Any | None = None
        self.root_finished: Any | None = None
        self.notices: list[Any] = []
        self.documents: list[Any] = []   # ContextAttached events
        self.streaming: dict[str, str] = {}  # node id -> text streamed so far (ephemeral deltas)
        self.final_answer: Any | None = None
        self.isolation = ""   # the sandbox level when the events do not carry it (from the result or the store)

    @classmethod
    def from_events(cls, events: Iterable[Any]) -> EventIndex:
        index = cls()
        for event in events:
            index.add(event)
        return index

    def add(self, event: Any) -> None:
        kind = event.kind
        if kind == "model_call_delta":
            self.streaming[event.node_id] = self.streaming.get(event.node_id, "") + event.text
            return
        self.events.append(event)
        self._by_node[event.node_id].append(event)
        if kind == "run_started" and not event.parent_id:
            self.root_started = event
        elif kind == "run_finished" and self.root_started is not None and event.node_id == self.root_started.node_id:
            self.root_finished = event
        elif kind in ("notice", "history_compacted"):
            self.notices.append(event)
        elif kind == "context_attached":
            self.documents.append(event)
        elif kind == "final_answer" and self.root_started is not None \
                and event.parent_id == self.root_started.node_id:
            self.final_answer = event
        if kind == "model_call_finished":
            self.streaming.pop(event.node_id, None)

    def for_node(self, node_id: str) -> list[Any]:
        return list(self._by_node.get(node_id, ()))

    def first(self, node_id: str, kind: str) -> Any | None:
        for event in self._by_node.get(node_id, ()):
            if event.kind == kind:
                return event
        return None

    def __len__(self) -> int:
        return len(self.events)
