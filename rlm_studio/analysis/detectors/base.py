"""What every failure-mode detector shares: the finding it returns, its thresholds, and the run's facts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from rlm_studio.engine.events import Event
from rlm_studio.engine.gc_paused import gc_paused
from rlm_studio.engine.run_tree import NodeEvents

from .._events import as_events
from ..tree import RunTree

E = TypeVar("E", bound=Event)

KINDS = ("over_subcalling", "final_confusion", "answer_discarded", "context_pressure", "repeated_errors",
         "iteration_limit", "no_code")


@dataclass(frozen=True)
class Finding:
    kind: str          # one of KINDS
    reason: str        # one sentence: why it fired
    nodes: list[str] = field(default_factory=list)  # the tree nodes it concerns

    def __getitem__(self, key: str) -> Any:  # read like the dict it is stored as
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    """When each detector fires (settings; the defaults are deliberately conservative)."""

    max_subcalls_per_iteration: int = 50
    max_subcalls_per_1k_chars: float = 2.0     # sub-calls of the whole run per 1,000 context characters
    min_subcalls_for_rate: int = 20            # the rate check ignores runs with fewer sub-calls
    repeated_prompt_count: int = 3             # the same sub-call prompt this many times
    context_pressure_ratio: float = 0.8        # root prompt tokens / context window
    repeated_error_count: int = 3              # the same error in this many consecutive cells

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"threshold {name} must be a number above 0, not {value!r}")
        if self.context_pressure_ratio > 1:
            raise ValueError("threshold context_pressure_ratio is a fraction of the window: at most 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Thresholds:
        data = data or {}
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown failure-mode threshold(s): {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass
class RunFacts:
    """The events of one stored run, read once for all detectors."""

    events: list[Event]
    tree: RunTree
    started: dict[str, Event] = field(default_factory=dict)    # node id -> its opening event
    finished: dict[str, Event] = field(default_factory=dict)   # node id -> its closing event

    @classmethod
    def read(cls, events: Iterable[Event | dict[str, Any]], tree: RunTree | None = None) -> RunFacts:
        """`tree`: the run's tree when the caller has built it already (the app's OpenRun): built once."""
        with gc_paused():
            stored = [e for e in as_events(events) if not e.ephemeral]
            by_node = NodeEvents(stored)
            if tree is None:
                tree = RunTree.from_events(stored)
        return cls(events=stored, tree=tree, started=by_node.opened, finished=by_node.closed)

    def runs(self) -> list[str]:
        return self.tree.find("run")

    def children_of_kind(self, node_id: str, kind: str) -> list[str]:
        return [c for c in self.tree.children(node_id) if self.tree.node(c).kind == kind]

    def run_cells(self, run_id: str) -> list[str]:
        """The run's own cells in execution order (not those of its child runs)."""
        return [cell for it in self.children_of_kind(run_id, "iteration")
                for cell in self.children_of_kind(it, "cell")]

    def of_type(self, cls: type[E]) -> list[E]:
        """The run's events of one type (RunFinished, Notice, ...), in stream order."""
        return [e for e in self.events if isinstance(e, cls)]

    def closing(self, node_id: str, cls: type[E]) -> E | None:
        """The event that closed the node, when it is a `cls` event."""
        event = self.finished.get(node_id)
        return event if isinstance(event, cls) else None
