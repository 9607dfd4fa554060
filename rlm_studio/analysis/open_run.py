"""The run open in the app as one plain-Python object: its events, tree, findings, fork links, isolation
and warnings. The run view, analysis tab, header and status bar observe it (as napari's Qt layer observes
its ViewerModel); it never imports Qt, so it is built on worker threads and tested without a window.

Every read of the run tree by the app goes through this object: a change to how events fold into a
tree touches `apply` and nothing else.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from rlm_studio.engine.events import Event
from rlm_studio.engine.gc_paused import gc_paused
from rlm_studio.engine.run_tree import NodeRecord

from ._events import as_event
from .totals import Totals
from .tree import RunTree, TreeChange

# What changed, as observers hear it. "reset": another run (or the same one rebuilt); "events": events
# were applied (announced once per batch by `publish`); the others: that attribute was set.
Change = Literal["reset", "events", "findings", "links", "isolation", "warnings", "state"]
Observer = Callable[[Change], None]
NodeEventsReader = Callable[[NodeRecord], list[Event]]   # a stored node's events, read when asked for
DETAIL_CACHE = 64   # nodes whose events a stored run keeps after reading them (the last ones looked at)


@dataclass(frozen=True)
class RunLink:
    """Another run this one is linked with by a fork: the parent it was forked from, or one of its forks."""

    run_id: str
    title: str
    iteration: int = 0   # the iteration the fork starts at (0: not known)


class OpenRun:
    """One run, live or stored. Feed events with `apply` (then `publish` once per batch), build it at
    once with `from_events`, or open a stored one from its node rows with `from_stored`; set findings,
    links, isolation and app warnings with their setters."""

    def __init__(self, run_id: str | None = None) -> None:
        self._observers: list[Callable[[], Observer | None]] = []   # weak for bound methods
        self._clear(run_id)

    def _clear(self, run_id: str | None) -> None:
        self.run_id = run_id
        self.events: list[Event] = []              # every stored (non-ephemeral) event, in order (see from_stored)
        self.events_complete = True                # False: opened from node rows, `events` holds the run's own
        self._read_node_events: NodeEventsReader | None = None
        self.tree = RunTree()
        self._by_node: dict[str, list[Event]] = defaultdict(list)
        self.streaming: dict[str, str] = {}        # node id -> text streamed so far (ephemeral deltas)
        self.root_started: Any | None = None       # the root run's RunStarted
        self.root_finished: Any | None = None      # the root run's RunFinished
        self.notices: list[Any] = []               # Notice and HistoryCompacted events
        self.documents: list[Any] = []             # ContextAttached events
        self.findings: list[dict[str, Any]] | None = None  # failure-mode findings (None: not computed yet)
        self.finding_marks = FindingMarks()        # the findings by the nodes they name
        self.parent: RunLink | None = None
        self.forks: list[RunLink] = []
        self._isolation = ""                       # the sandbox level when the events do not carry it
        self.app_warnings: list[str] = []          # what the app adds (e.g. events not stored); kept
        self.running = False
        self._unpublished = False

    # -- observing --------------------------------------------------------------------------
    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(change)` after every change; returns a function that stops it. A bound method
        is held weakly: observing never keeps a view (or a window) alive, nor makes a cycle with it."""
        ref: Callable[[], Observer | None]
        if hasattr(observer, "__self__") and hasattr(observer, "__func__"):
            ref = weakref.WeakMethod(observer)
        else:
            ref = lambda: observer  # noqa: E731
        self._observers.append(ref)
        return lambda: self._observers.remove(ref) if ref in self._observers else None

    def _notify(self, change: Change) -> None:
        for ref in list(self._observers):
            observer = ref()
            if observer is None:
                self._observers.remove(ref)
            else:
                observer(change)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_events(cls, events: Iterable[Event | dict[str, Any]], run_id: str | None = None) -> OpenRun:
        """A stored run, built at once (pure Python: fine on a worker thread)."""
        run = cls(run_id)
        with gc_paused():
            for event in events:
                run.apply(event)
        run._unpublished = False
        return run

    @classmethod
    def from_stored(cls, tree: RunTree, run_events: Iterable[Event], read_node_events: NodeEventsReader,
                    run_id: str | None = None) -> OpenRun:
        """A stored run opened from its node rows: `tree` as stored, `run_events` the events about the run
        as a whole (its start and finish, notices, documents, first and last: what the header, status bar
        and charts read), and each node's own events read with `read_node_events` when they are asked for
        (`for_node`: the detail pane). `events` then holds only `run_events` (`events_complete` is False)."""
        run = cls(run_id)
        run.tree = tree
        for event in run_events:
            run._keep(as_event(event))
        run.events_complete = False
        run._read_node_events = read_node_events
        run._by_node.clear()   # filled as nodes are looked at
        run._unpublished = False
        return run

    def reset(self, other: OpenRun | None = None, *, running: bool = False, run_id: str | None = None) -> None:
        """Show another run: take `other`'s state (a run built with `from_events`), or start empty
        (`running`: a live run is about to start). Observers stay; they hear "reset"."""
        if other is None:
            self._clear(run_id)
            self.running = running
        else:
            observers = self._observers
            self.__dict__.update(other.__dict__)
            self._observers = observers
            self.running = running
        self._unpublished = False
        self._notify("reset")

    def apply(self, event: Event | dict[str, Any]) -> TreeChange | None:
        """Record one event and fold it into the tree; returns what changed in the tree. Observers hear
        about it at the next `publish` (a live run can bring a thousand events at once)."""
        event = as_event(event)
        kind = event.kind
        if event.ephemeral:
            if kind == "model_call_delta":
                text = getattr(event, "text", "")
                self.streaming[event.node_id] = self.streaming.get(event.node_id, "") + text
                self._unpublished = True
            return None
        self._keep(event)
        if kind == "model_call_finished":
            self.streaming.pop(event.node_id, None)
        self._unpublished = True
        return self.tree.apply(event)

    def _keep(self, event: Event) -> None:
        """Record a stored event (without folding it into the tree)."""
        kind = event.kind
        self.events.append(event)
        self._by_node[event.node_id].append(event)
        if kind == "run_started" and not event.parent_id and self.root_started is None:
            self.root_started = event
            self.run_id = self.run_id or event.run_id
        elif kind == "run_finished" and self.root_started is not None \
                and event.node_id == self.root_started.node_id:
            self.root_finished = event
        elif kind in ("notice", "history_compacted"):
            self.notices.append(event)
        elif kind == "context_attached":
            self.documents.append(event)

    def publish(self) -> None:
        """Tell observers that events were applied since the last time (nothing when none were)."""
        if self._unpublished:
            self._unpublished = False
            self._notify("events")

    # -- setting ----------------------------------------------------------------------------
    def set_findings(self, findings: Iterable[Any]) -> None:
        """The run's failure-mode findings (Finding objects or their dicts)."""
        self.findings = [_finding_dict(f) for f in findings]
        self.finding_marks = FindingMarks(self.findings)
        self._notify("findings")

    def set_links(self, parent: RunLink | None, forks: Iterable[RunLink] = ()) -> None:
        self.parent, self.forks = parent, list(forks)
        self._notify("links")

    @property
    def isolation(self) -> str:
        """The sandbox level: from the root run's RunStarted, else what the app was told ("" unknown)."""
        started = self.root_started
        return (getattr(started, "isolation", "") if started is not None else "") or self._isolation

    def set_isolation(self, isolation: str) -> None:
        self._isolation = isolation or ""
        self._notify("isolation")

    def add_warning(self, message: str) -> None:
        """A warning of the app's about this run (e.g. its events could not be stored): shown until
        another run is opened, whatever the events bring afterwards."""
        if message and message not in self.app_warnings:
            self.app_warnings.append(message)
            self._notify("warnings")

    def set_running(self, running: bool) -> None:
        if running != self.running:
            self.running = running
            self._notify("state")

    # -- reading ----------------------------------------------------------------------------
    @property
    def warnings(self) -> list[str]:
        """Everything the user should be warned about: the run's own warnings (sandbox), warning and
        error notices, then the app's warnings."""
        started = self.root_started
        out = list(getattr(started, "warnings", []) or []) if started is not None else []
        out += [n.message for n in self.notices
                if n.kind == "notice" and getattr(n, "level", "") in ("warning", "error")]
        out += [w for w in self.app_warnings if w not in out]
        return out

    @property
    def root_id(self) -> str | None:
        return self.tree.root_id

    def totals(self, node_id: str | None = None) -> Totals:
        """Figures of a node and its subtree (default: the whole run), from the run tree's one totals."""
        return self.tree.totals(node_id)

    def root_iterations(self) -> list[str]:
        """Node ids of the root run's own iterations, in order."""
        root = self.tree.root_id
        if root is None:
            return []
        return [c for c in self.tree.children(root) if self.tree.node(c).kind == "iteration"]

    def for_node(self, node_id: str) -> list[Event]:
        """The events of one node, in order (a run opened from node rows reads them now: its opening and
        closing events, by their sequence numbers)."""
        reader = self._read_node_events
        if reader is None or node_id in self._by_node:
            return list(self._by_node.get(node_id, ()))
        if node_id not in self.tree:
            return []
        try:
            events = reader(self.tree.node(node_id))
        except Exception:   # the database went away (closed, the run deleted): the node's figures still show
            return []
        if len(self._by_node) >= DETAIL_CACHE:
            self._by_node.pop(next(iter(self._by_node)))
        self._by_node[node_id] = [e for e in events if e.node_id == node_id]
        return list(self._by_node[node_id])

    def first(self, node_id: str, kind: str) -> Event | None:
        for event in self.for_node(node_id):
            if event.kind == kind:
                return event
        return None

    def fork_iteration(self, node_id: str | None) -> int | None:
        """The root iteration (1-based) a fork from `node_id` starts at: the node is a root iteration, its
        model call or one of its cells; None for any other node."""
        tree = self.tree
        if node_id is None or node_id not in tree or tree.node(node_id).kind not in FORK_KINDS:
            return None
        iteration = node_id if tree.node(node_id).kind == "iteration" else tree.parent(node_id)
        if iteration is None or tree.node(iteration).kind != "iteration" or tree.parent(iteration) != tree.root_id:
            return None
        return self.root_iterations().index(iteration) + 1

    def __len__(self) -> int:
        return len(self.events)


FORK_KINDS = ("iteration", "model_call", "cell")  # nodes "Fork from here" works on (of the root run)


class FindingMarks:
    """The findings that name each node: (kind, reason) pairs. A finding can name 100,000 sub-calls: each
    node maps to the number of its first finding (an int, nothing the cyclic GC walks), the rare node that
    several findings name to a list of them besides."""

    def __init__(self, findings: Iterable[dict[str, Any]] = ()) -> None:
        self._pairs: list[tuple[str, str]] = []
        self._first: dict[str, int] = {}
        self._more: dict[str, list[int]] = {}
        for number, finding in enumerate(findings):
            self._pairs.append((str(finding["kind"]), str(finding["reason"])))
            for node_id in finding["nodes"] or ():
                if node_id not in self._first:
                    self._first[node_id] = number
                else:
                    self._more.setdefault(node_id, []).append(number)

    def get(self, node_id: str) -> list[tuple[str, str]]:
        """(kind, reason) of each finding naming the node, in order ([] for none)."""
        first = self._first.get(node_id)
        if first is None:
            return []
        return [self._pairs[first], *(self._pairs[n] for n in self._more.get(node_id, ()))]

    def first_kind(self, node_id: str) -> str | None:
        first = self._first.get(node_id)
        return None if first is None else self._pairs[first][0]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._first

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)


def _finding_dict(finding: Any) -> dict[str, Any]:
    data = finding if isinstance(finding, dict) else finding.to_dict()
    return {"kind": str(data["kind"]), "reason": str(data.get("reason", "")), "nodes": list(data.get("nodes") or ())}
