"""A stored run's tree held as columns of its node rows, for opening a 100,000-node run fast.

`RunTree.from_nodes` makes a NodeRecord, a child list and two figure lists per node: for 100,000 nodes
that is over a second and half a million objects the cyclic GC walks on every full collection (a UI stall).
`ColumnTree` keeps one tuple per column and per summed figure, and child lists only for nodes that have
children; a node's NodeRecord is made when it is asked for. It reads like a RunTree (same shape, records
and totals, summed in the same order as `from_nodes`) and is read-only: a live run uses RunTree.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Sequence, ValuesView
from dataclasses import fields
from typing import Any

from ..events import Event
from .node import NodeRecord
from .totals import ERROR_STATUSES, FIELDS, Totals, make_totals
from .tree import RunTree, TreeChange

#: the columns a row holds, in NodeRecord's field order (`extra` as its stored JSON text)
COLUMNS = tuple(f.name for f in fields(NodeRecord))
_ID, _PARENT, _KIND, _DEPTH = 0, 1, 2, 3
_IN, _OUT, _CACHED, _REASONING = (COLUMNS.index(n) for n in ("input_tokens", "output_tokens", "cached_tokens",
                                                              "reasoning_tokens"))
_STATUS, _ERROR, _COST = COLUMNS.index("status"), COLUMNS.index("error"), COLUMNS.index("cost_usd")
_ESTIMATED, _START_SEQ, _EXTRA = COLUMNS.index("tokens_estimated"), COLUMNS.index("start_seq"), COLUMNS.index("extra")
_COST_FIELD = FIELDS.index("known_cost_usd")
_CACHE_LIMIT = 4096   # records kept made (what a view shows and scrolls back to)


class ColumnNodes(dict[str, NodeRecord]):
    """`ColumnTree.nodes`: reads as the id -> NodeRecord dict a RunTree has, making records on demand.
    It holds no entries of its own (a dict subclass only so that it types as RunTree.nodes), and its tree
    only weakly: no reference cycle, so a large tree is freed as soon as it is let go, not by a full
    collection (which the app's UI thread makes rarely: see ui/ui_thread_gc.py)."""

    def __init__(self, tree: ColumnTree) -> None:
        super().__init__()
        self._tree_ref = weakref.ref(tree)

    @property
    def _tree(self) -> ColumnTree:
        tree = self._tree_ref()
        if tree is None:
            raise ReferenceError("the ColumnTree these nodes belong to is gone")
        return tree

    def __getitem__(self, node_id: str) -> NodeRecord:
        return self._tree.node(node_id)

    def get(self, node_id: str, default: Any = None) -> Any:
        return self._tree.node(node_id) if node_id in self._tree else default

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._tree

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree.ids)

    def __len__(self) -> int:
        return len(self._tree.ids)

    def __bool__(self) -> bool:
        return bool(self._tree.ids)

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        return {k: None for k in self._tree.ids}.keys()

    def values(self) -> ValuesView[NodeRecord]:  # type: ignore[override]
        return {k: self._tree.node(k) for k in self._tree.ids}.values()

    def items(self) -> ItemsView[str, NodeRecord]:  # type: ignore[override]
        return {k: self._tree.node(k) for k in self._tree.ids}.items()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and dict(self.items()) == dict(other.items())

    __hash__ = None


class ColumnTree(RunTree):
    """The tree of stored node rows given as columns (`COLUMNS` order), the rows in opening (start_seq)
    order; `from_rows` takes rows in any order."""

    def __init__(self, columns: Sequence[Sequence[Any]] | None = None) -> None:
        cols: list[Sequence[Any]] = list(columns) if columns else [() for _ in COLUMNS]
        if len(cols) != len(COLUMNS):
            raise ValueError(f"a ColumnTree takes {len(COLUMNS)} columns, not {len(cols)}")
        ids = tuple(cols[_ID])
        pos: dict[str, int] = dict(zip(ids, range(len(ids))))
        if len(pos) != len(ids):   # a duplicated id: keep its first row, as from_nodes does (never from the
            pos = {}               # nodes table: its key is the id)
            for i, node_id in enumerate(ids):
                pos.setdefault(node_id, i)
            keep = [i for i, n in enumerate(ids) if pos[n] == i]
            cols = [[column[i] for i in keep] for column in cols]
            ids = tuple(cols[_ID])
            pos = {n: i for i, n in enumerate(ids)}
        self.ids: tuple[str, ...] = ids
        # tuples of strs and numbers: after its first pass the cyclic GC no longer walks them (lists it would)
        self._cols: list[tuple[Any, ...]] = [tuple(column) for column in cols]
        columns = self._cols
        self._pos = pos
        count = len(self.ids)
        parent_of = [-1] * count
        row_of = [0] * count
        kids: dict[int, list[int]] = {-1: []}
        get = pos.get
        for i, parent_id in enumerate(columns[_PARENT]):
            p = get(parent_id, -1) if parent_id is not None else -1
            if p >= i:
                p = -1           # a parent opened after its child (or the node itself): top level, as from_nodes
            parent_of[i] = p
            siblings = kids.get(p)
            if siblings is None:
                siblings = kids[p] = []
            row_of[i] = len(siblings)
            siblings.append(i)
        self._parent_of, self._row_of, self._kids = tuple(parent_of), tuple(row_of), kids
        sums = self._figures(columns)   # own figures, summed up in place next
        self._sum_up(sums)
        self._sum_cols = [tuple(column) for column in sums]
        depth = list(columns[_DEPTH])
        for p in sorted((k for k in kids if k >= 0), reverse=True):   # children after parents: deepest first
            deepest = max(map(depth.__getitem__, kids[p]))
            if deepest > depth[p]:
                depth[p] = deepest
        self._max_depth_of = tuple(depth)
        self._records: dict[int, NodeRecord] = {}
        self.nodes = ColumnNodes(self)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> ColumnTree:
        """From node rows (tuples in `COLUMNS` order) in any order."""
        ordered = sorted(rows, key=lambda r: r[_START_SEQ])
        return cls([list(column) for column in zip(*ordered)] if ordered else None)

    @staticmethod
    def _figures(columns: list[tuple[Any, ...]]) -> list[list[Any]]:
        """Each node's own figures by column (order: totals.FIELDS; see totals.contribution)."""
        kinds, depths, statuses, errors = columns[_KIND], columns[_DEPTH], columns[_STATUS], columns[_ERROR]
        inp, out, costs = columns[_IN], columns[_OUT], columns[_COST]
        count = len(kinds)
        if None in costs:   # some call has no price (see totals.cost_is_unknown)
            unknown = [c is None and not (e and i == 0 and o == 0) for c, e, i, o in zip(costs, errors, inp, out)]
            known = [0.0 if u or c is None else c for u, c in zip(unknown, costs)]
        else:
            unknown, known = [False] * count, list(costs)
        is_kind = [list(map(kind.__eq__, kinds)) for kind in ("subcall", "model_call", "cell", "iteration")]
        # written with map over C methods, not a comprehension: this runs once per stored node per figure
        own: list[list[Any]] = [
            list(inp), list(out), list(columns[_CACHED]), list(columns[_REASONING]), known, unknown,
            is_kind[0], is_kind[1], is_kind[2],
            [k == "run" and d > 0 for k, d in zip(kinds, depths)] if "run" in kinds else [False] * count,
            is_kind[3],
            list(map(ERROR_STATUSES.__contains__, statuses)),
        ]
        return own

    def _sum_up(self, sums: list[list[Any]]) -> None:
        """Subtree sums: each parent adds its children's, deepest parents first (children open after their
        parent). The cost is added last child first, as `from_nodes` adds it, so the float sums are equal."""
        kids = self._kids
        cost = sums[_COST_FIELD]
        for p in sorted((k for k in kids if k >= 0), reverse=True):
            children = kids[p]
            for column in sums:
                if column is not cost:
                    column[p] += sum(map(column.__getitem__, children))   # integers: any order is exact
            acc = cost[p]
            for c in reversed(children):
                acc += cost[c]
            cost[p] = acc

    # -- building ---------------------------------------------------------------------------
    def apply(self, event: Event | dict[str, Any]) -> TreeChange | None:
        raise TypeError("a stored run's ColumnTree is read-only: fold live events into a RunTree")

    def copy(self) -> RunTree:
        """A RunTree in the same state (one that live events can be folded into)."""
        return RunTree.from_nodes(self.node(n) for n in self.ids)

    def same_as(self, other: RunTree) -> bool:
        return (dict(self.nodes.items()) == dict(other.nodes.items()) and self.structure() == other.structure()
                and all(self.totals(n) == other.totals(n) for n in self.ids))

    # -- reading ----------------------------------------------------------------------------
    def _index(self, node_id: str) -> int:
        try:
            return self._pos[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in this run tree") from None

    def _record(self, i: int) -> NodeRecord:
        record = self._records.get(i)
        if record is None:
            values = [column[i] for column in self._cols]
            values[_ESTIMATED] = bool(values[_ESTIMATED])
            extra = values[_EXTRA]
            values[_EXTRA] = json.loads(extra) if isinstance(extra, str) and extra not in ("", "{}") else \
                (dict(extra) if isinstance(extra, dict) else {})   # None: not read (see storage.run_reads)
            record = NodeRecord(*values)
            if len(self._records) >= _CACHE_LIMIT:
                self._records.clear()
            self._records[i] = record
        return record

    @property
    def root_id(self) -> str | None:
        top = self._kids[-1]
        return self.ids[top[0]] if top else None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._pos

    def __len__(self) -> int:
        return len(self.ids)

    def node(self, node_id: str) -> NodeRecord:
        return self._record(self._index(node_id))

    def column(self, name: str) -> tuple[Any, ...]:
        """One column of every node, in opening order (e.g. "label" for a filter's index)."""
        return self._cols[COLUMNS.index(name)]

    # -- by position (a node's place in opening order: what a Qt model uses as its rows' internal ids)
    @property
    def positions(self) -> dict[str, int]:
        """Node id -> position."""
        return self._pos

    @property
    def child_positions(self) -> dict[int, list[int]]:
        """Position -> its children's positions in order (-1: the top level; absent: no children)."""
        return self._kids

    @property
    def parent_positions(self) -> tuple[int, ...]:
        """Position -> its parent's position (-1: top level)."""
        return self._parent_of

    @property
    def rows(self) -> tuple[int, ...]:
        """Position -> its row among its siblings."""
        return self._row_of

    def kind_of(self, node_id: str) -> str:
        return str(self._cols[_KIND][self._index(node_id)])

    def children(self, node_id: str | None) -> list[str]:
        i = -1 if node_id is None else self._index(node_id)
        ids = self.ids
        return [ids[c] for c in self._kids.get(i, ())]

    def child_count(self, node_id: str | None) -> int:
        if node_id is None:
            return len(self._kids[-1])
        i = self._pos.get(node_id)
        return 0 if i is None else len(self._kids.get(i, ()))

    def child_at(self, node_id: str | None, row: int) -> str:
        return self.ids[self._kids[-1 if node_id is None else self._pos[node_id]][row]]

    def parent(self, node_id: str) -> str | None:
        p = self._parent_of[self._index(node_id)]
        return None if p < 0 else self.ids[p]

    def row(self, node_id: str) -> int:
        return self._row_of[self._index(node_id)]

    def ancestors(self, node_id: str) -> Iterator[str]:
        parent_of, ids = self._parent_of, self.ids
        p = parent_of[self._pos[node_id]] if node_id in self._pos else -1
        while p >= 0:
            yield ids[p]
            p = parent_of[p]

    def level(self, node_id: str) -> int:
        return sum(1 for _ in self.ancestors(node_id))

    def totals(self, node_id: str | None = None) -> Totals:
        node_id = self.root_id if node_id is None else node_id
        if node_id is None:
            return Totals()
        i = self._index(node_id)
        kind, depth = self._cols[_KIND][i], self._cols[_DEPTH][i]
        kinds = self._cols[_KIND]
        own_iterations = 1 if kind == "iteration" else \
            sum(1 for c in self._kids.get(i, ()) if kinds[c] == "iteration") if kind == "run" else 0
        vector = [column[i] for column in self._sum_cols]
        top = NodeRecord(id=node_id, parent_id=None, kind=kind, depth=depth)   # what make_totals reads of it
        return make_totals(vector, self._max_depth_of[i], node=top, own_iterations=own_iterations)

    def walk(self, start: str | None = None) -> Iterator[str]:
        kids, ids = self._kids, self.ids
        stack = list(reversed(kids[-1] if start is None else [self._index(start)]))
        while stack:
            i = stack.pop()
            yield ids[i]
            children = kids.get(i)
            if children:
                stack.extend(reversed(children))

    def find(self, kind: str, start: str | None = None) -> list[str]:
        kinds, pos = self._cols[_KIND], self._pos
        return [n for n in self.walk(start) if kinds[pos[n]] == kind]
