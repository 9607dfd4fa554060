"""The run tree: node records from the one fold (`apply_event`), children in order, subtree totals.

Live: feed it events one at a time (`apply`) and it says what changed, so a view can insert one row or
refresh a few; totals are updated along the path to the root only (O(depth) per event). Stored: build it
at once from events (`from_events`) or from stored node records (`from_nodes`); the same totals come out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, Literal

from ..events import Event, event_from_dict
from ..gc_paused import gc_paused
from .fold import fold_event
from .node import NodeRecord
from .totals import ERROR_STATUSES, Totals, contribution, cost_is_unknown, make_totals


def as_event(event: Event | dict[str, Any]) -> Event:
    """Accept a typed event or its stored dict."""
    if isinstance(event, Event):
        return event
    if isinstance(event, dict):
        return event_from_dict(event)
    raise TypeError(f"expected an event or an event dict, not {type(event).__name__}")


@dataclass(frozen=True)
class TreeChange:
    """What one event did to the tree.

    kind "inserted": `node_id` is a new node, the `row`-th child of `parent_id` (None: top level).
    kind "updated": `node_id`'s own record changed.
    `updated` lists every node whose record or subtree totals changed (for "updated" it starts
    with `node_id`; for "inserted" it holds the ancestors whose totals now include the new node),
    nearest first.
    """

    kind: Literal["inserted", "updated"]
    node_id: str
    parent_id: str | None = None
    row: int = -1
    updated: tuple[str, ...] = field(default_factory=tuple)


class RunTree:
    """The node tree of one run's event stream (children of a node in the order they opened)."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeRecord] = {}
        self._children: dict[str | None, list[str]] = {None: []}
        self._parent: dict[str, str | None] = {}
        self._row: dict[str, int] = {}
        self._own: dict[str, list[float]] = {}
        self._sum: dict[str, list[float]] = {}
        self._max_depth: dict[str, int] = {}
        self._last_unchanged = False   # the last update left the node's figures as they were

    # -- building -------------------------------------------------------------------------
    @classmethod
    def from_events(cls, events: Iterable[Event | dict[str, Any]]) -> RunTree:
        tree = cls()
        with gc_paused():
            for event in events:
                tree.apply(event)
        return tree

    @classmethod
    def from_nodes(cls, nodes: Iterable[NodeRecord]) -> RunTree:
        """A stored run's tree from its node records (what the `nodes` table holds), in opening order."""
        with gc_paused():
            return cls._from_nodes(nodes)

    @classmethod
    def _from_nodes(cls, nodes: Iterable[NodeRecord]) -> RunTree:
        tree = cls()
        for node in sorted(nodes, key=lambda n: n.start_seq):
            if node.id in tree.nodes:
                continue
            tree.nodes[node.id] = node
            parent = node.parent_id if node.parent_id in tree.nodes and node.parent_id != node.id else None
            siblings = tree._children.setdefault(parent, [])
            tree._row[node.id] = len(siblings)
            siblings.append(node.id)
            tree._children.setdefault(node.id, [])
            tree._parent[node.id] = parent
            own = contribution(node)
            tree._own[node.id] = own
            tree._sum[node.id] = list(own)
            tree._max_depth[node.id] = node.depth
        # children were opened after their parents: going backwards adds each subtree before its parent's
        for node_id in reversed(list(tree._parent)):
            parent = tree._parent[node_id]
            if parent is not None:
                acc, mine = tree._sum[parent], tree._sum[node_id]
                for i, value in enumerate(mine):
                    acc[i] += value
                if tree._max_depth[parent] < tree._max_depth[node_id]:
                    tree._max_depth[parent] = tree._max_depth[node_id]
        return tree

    def apply(self, event: Event | dict[str, Any]) -> TreeChange | None:
        """Apply one event; return what changed in the tree, or None when nothing did."""
        event = as_event(event)
        node_id = event.node_id
        existed = node_id in self.nodes
        if self.fold(event) is None:
            return None
        parent, row = self._parent[node_id], self._row[node_id]
        if not existed:
            return TreeChange("inserted", node_id, parent, row, tuple(self.ancestors(node_id)))
        if self._last_unchanged:
            return TreeChange("updated", node_id, parent, row, (node_id,))
        return TreeChange("updated", node_id, parent, row, (node_id, *self.ancestors(node_id)))

    def fold(self, event: Event) -> str | None:
        """Apply one typed event as `apply` does, without describing the change: the id of the node it opened
        or changed, or None."""
        existed = event.node_id in self.nodes
        node = fold_event(self.nodes, event)
        if node is None:
            return None
        if existed:
            self._update(node)
        else:
            self._insert(node)
        return node.id

    def _insert(self, node: NodeRecord) -> None:
        """Link a new node under its parent and add its figures to every ancestor's totals."""
        node_id = node.id
        parent = node.parent_id if node.parent_id in self.nodes else None
        siblings = self._children.get(parent)
        if siblings is None:
            siblings = self._children[parent] = []
        self._row[node_id] = len(siblings)
        siblings.append(node_id)
        self._children[node_id] = []
        self._parent[node_id] = parent
        own = contribution(node)
        self._own[node_id] = own
        self._sum[node_id] = own.copy()
        depth = node.depth
        self._max_depth[node_id] = depth
        if parent is None:
            return
        nonzero = [(i, value) for i, value in enumerate(own) if value]   # most figures are 0: skip them
        parents, sums, max_depth = self._parent, self._sum, self._max_depth
        ancestor: str | None = parent
        while ancestor is not None:
            acc = sums[ancestor]
            for i, value in nonzero:
                acc[i] += value
            if max_depth[ancestor] < depth:
                max_depth[ancestor] = depth
            ancestor = parents[ancestor]

    def _update(self, node: NodeRecord) -> None:
        """A node's own figures changed: move the difference into its and its ancestors' totals."""
        node_id = node.id
        new = contribution(node)
        old = self._own[node_id]
        self._own[node_id] = new
        self._last_unchanged = new == old
        if self._last_unchanged:
            return
        delta = [(i, n - o) for i, (n, o) in enumerate(zip(new, old)) if n != o]   # only the changed figures
        parents, sums = self._parent, self._sum
        current: str | None = node_id
        while current is not None:
            acc = sums[current]
            for i, value in delta:
                acc[i] += value
            current = parents[current]

    def copy(self) -> RunTree:
        """An independent tree in the same state (closed node records are shared: they never change)."""
        other = RunTree.__new__(RunTree)
        other.nodes = {k: n if n.end_seq is not None else replace(n, extra=dict(n.extra))
                       for k, n in self.nodes.items()}
        other._children = {k: list(v) for k, v in self._children.items()}
        other._parent = dict(self._parent)
        other._row = dict(self._row)
        other._own = dict(self._own)  # replaced, never mutated in place
        other._sum = {k: list(v) for k, v in self._sum.items()}
        other._max_depth = dict(self._max_depth)
        other._last_unchanged = False
        return other

    def same_as(self, other: RunTree) -> bool:
        """Same nodes (every figure), same shape and the same totals everywhere."""
        return (self.nodes == other.nodes and self.structure() == other.structure()
                and all(self.totals(n) == other.totals(n) for n in self.nodes))

    # -- reading --------------------------------------------------------------------------
    @property
    def root_id(self) -> str | None:
        """The first top-level node (the root run), or None before any node exists."""
        top = self._children[None]
        return top[0] if top else None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, node_id: str) -> NodeRecord:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in this run tree") from None

    def children(self, node_id: str | None) -> list[str]:
        """Child ids in order; `None` gives the top-level nodes."""
        if node_id is not None and node_id not in self.nodes:
            raise KeyError(f"no node {node_id!r} in this run tree")
        return list(self._children.get(node_id, ()))

    def child_count(self, node_id: str | None) -> int:
        return len(self._children.get(node_id, ()))

    def child_at(self, node_id: str | None, row: int) -> str:
        return self._children[node_id][row]

    def parent(self, node_id: str) -> str | None:
        self.node(node_id)
        return self._parent[node_id]

    def row(self, node_id: str) -> int:
        """Position of the node among its parent's children (0-based)."""
        self.node(node_id)
        return self._row[node_id]

    def ancestors(self, node_id: str) -> Iterator[str]:
        """Parent, grandparent, ... up to the top level."""
        current = self._parent.get(node_id)
        while current is not None:
            yield current
            current = self._parent[current]

    def totals(self, node_id: str | None = None) -> Totals:
        """Figures of the node and its subtree (default: the root run)."""
        node_id = self.root_id if node_id is None else node_id
        if node_id is None:
            return Totals()
        node = self.node(node_id)
        return make_totals(self._sum[node_id], self._max_depth[node_id], node=node,
                           own_iterations=self._own_iterations(node))

    def _own_iterations(self, node: NodeRecord) -> int:
        if node.kind == "iteration":
            return 1
        if node.kind != "run":
            return 0
        return sum(1 for c in self._children.get(node.id, ()) if self.nodes[c].kind == "iteration")

    def walk(self, start: str | None = None) -> Iterator[str]:
        """Node ids depth-first, parents before children, siblings in order (default: all)."""
        stack = list(reversed(self._children[None] if start is None else [start]))
        while stack:
            node_id = stack.pop()
            yield node_id
            stack.extend(reversed(self._children[node_id]))

    def level(self, node_id: str) -> int:
        """How many ancestors the node has (0 for the root run)."""
        return sum(1 for _ in self.ancestors(node_id))

    def find(self, kind: str, start: str | None = None) -> list[str]:
        """Ids of the nodes of one kind, depth-first."""
        return [n for n in self.walk(start) if self.nodes[n].kind == kind]

    def to_dict(self, node_id: str | None = None) -> dict[str, Any]:
        """A nested JSON-ready view: the node's record, its totals and its children."""
        node_id = self.root_id if node_id is None else node_id
        if node_id is None:
            return {}
        out: dict[str, Any] = {}
        stack = [(node_id, out)]
        while stack:
            current, target = stack.pop()
            target.update(self.node(current).to_dict())
            target["totals"] = self.totals(current).to_dict()
            target["children"] = []
            for child in self.children(current):
                slot: dict[str, Any] = {}
                target["children"].append(slot)
                stack.append((child, slot))
        return out

    def structure(self) -> list[tuple[str, str | None, int]]:
        """(id, parent, row) of every node depth-first: compare two trees' shapes."""
        return [(n, self.parent(n), self.row(n)) for n in self.walk()]


_START_SEQ, _KIND, _STATUS, _DEPTH, _COST = (attrgetter(n) for n in ("start_seq", "kind", "status", "depth", "cost_usd"))
_IN, _OUT, _CACHED, _REASONING = (attrgetter(n) for n in ("input_tokens", "output_tokens", "cached_tokens",
                                                          "reasoning_tokens"))


def subtree_totals(nodes: Iterable[NodeRecord], top_id: str) -> Totals:
    """`RunTree.from_nodes(nodes).totals(top_id)` without building the tree (what the writer counts when a run
    finishes): nodes are placed as from_nodes places them, in opening order, and each figure is summed over
    the placed nodes by column (what `contribution` adds, in C where it can be). The same counts; the cost
    is summed in another order than the tree's, so it may differ in its last bits."""
    inside: dict[str, bool] = {}   # node id -> in top's subtree, for every node placed so far
    placed: list[NodeRecord] = []
    own_iterations = 0
    for node in sorted(nodes, key=_START_SEQ):
        node_id = node.id
        if node_id in inside:
            continue
        parent = node.parent_id if node.parent_id in inside and node.parent_id != node_id else None
        here = inside[node_id] = node_id == top_id or (parent is not None and inside[parent])
        if here:
            placed.append(node)
            if parent == top_id and node.kind == "iteration":
                own_iterations += 1
    if not placed:
        raise KeyError(f"no node {top_id!r} in these nodes")
    top = placed[0]   # placed first: every other node inside descends from it
    kinds = Counter(map(_KIND, placed))
    statuses = Counter(map(_STATUS, placed))
    costs = list(map(_COST, placed))
    vector: list[float] = [
        sum(map(_IN, placed)), sum(map(_OUT, placed)), sum(map(_CACHED, placed)), sum(map(_REASONING, placed)),
        sum([0.0 if c is None else c for c in costs]),
        sum(1 for n, c in zip(placed, costs, strict=True) if c is None and cost_is_unknown(n)),
        kinds["subcall"], kinds["model_call"], kinds["cell"],
        sum(1 for n in placed if n.kind == "run" and n.depth > 0) if kinds["run"] else 0,
        kinds["iteration"], sum(statuses[s] for s in ERROR_STATUSES)]
    if top.kind != "run":
        own_iterations = 1 if top.kind == "iteration" else 0
    return make_totals(vector, max(map(_DEPTH, placed)), node=top, own_iterations=own_iterations)
