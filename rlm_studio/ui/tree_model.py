"""A thin QAbstractItemModel over the analysis RunTree: TreeChange -> row inserts and dataChanged.

A stored run's tree (a ColumnTree, read-only) is shown as it is: no per-row bookkeeping, leaves marked as
never having children (expand-all does not visit them twice), and a filter index of every node's text
built once, so filtering 100,000 nodes is one substring search.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from rlm_studio.analysis.open_run import FindingMarks
from rlm_studio.analysis.tree import NodeRecord, RunTree, TreeChange
from rlm_studio.engine.run_tree.columns import ColumnTree

from . import formatting as fmt
from .failure_badges import kind_colour, kind_title

COLUMNS = ("Node", "Model", "Input tokens", "Output tokens", "Cost", "Subtree cost", "Duration", "Status")
COL_NODE, COL_MODEL, COL_IN, COL_OUT, COL_COST, COL_SUBTREE_COST, COL_DURATION, COL_STATUS = range(len(COLUMNS))

NODE_ID_ROLE = Qt.ItemDataRole.UserRole + 1   # the node's id (str)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2      # a sortable value for the column
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3    # text the filter box matches
KIND_ROLE = Qt.ItemDataRole.UserRole + 4

_NUMERIC = {COL_IN, COL_OUT, COL_COST, COL_SUBTREE_COST, COL_DURATION}
LEAF_KINDS = frozenset({"subcall", "model_call", "final_answer"})   # nodes that never get children
_KIND_MARK = {"run": "▣", "iteration": "↻", "model_call": "◆", "cell": "❯", "subcall": "•", "final_answer": "★"}


def short_model(spec: str) -> str:
    """script:/long/path/root.json -> script:root.json (the full spec is in the detail pane)."""
    if spec.startswith("script:") and "/" in spec:
        return "script:" + spec.rsplit("/", 1)[-1]
    return spec


class RunTreeModel(QAbstractItemModel):
    """Never a second tree: rows come from RunTree; only the count of rows already announced is kept,
    so beginInsertRows is issued before the new row becomes visible to views."""

    def __init__(self, tree: RunTree | None = None, parent: QObject | None = None):
        super().__init__(parent)
        QBrush(QColor())   # the app's first QBrush(QColor) makes QGradient's enums (PySide makes them on first
        # use): here, when the window is built, instead of in data() as a run starts
        self._tree = tree or RunTree()
        self._ids: list[str] | tuple[str, ...] = []   # internal id (int) -> node id
        self._serial: dict[str, int] = {}              # node id -> internal id
        self._columns: ColumnTree | None = None        # a stored run's tree: internal ids are its positions
        self._kids: dict[int, list[int]] = {}
        self._parents: tuple[int, ...] = ()
        self._rows: tuple[int, ...] = ()
        self._kinds: tuple[str, ...] = ()
        self._shown: dict[str | None, int] | None = {}  # parent id -> rows announced (None: a read-only tree, all)
        self._filter_index: FilterIndex | None = None
        self._pending_parents: set[str | None] = set()  # deferred inserts (see apply(defer=True))
        self._dirty: set[str] = set()                   # deferred dataChanged
        self._node_findings = FindingMarks()   # the failure-mode findings by node
        self._announce_all()

    # -- feeding ----------------------------------------------------------------------------
    @property
    def tree(self) -> RunTree:
        return self._tree

    def set_tree(self, tree: RunTree) -> None:
        """Show another run (e.g. one opened from history) in one reset."""
        self.beginResetModel()
        self._tree = tree
        self._node_findings = FindingMarks()
        self._pending_parents.clear()
        self._dirty.clear()
        self._ids, self._serial = [], {}
        self._filter_index = None
        self._announce_all()
        self.endResetModel()

    def _announce_all(self) -> None:
        tree = self._tree
        if isinstance(tree, ColumnTree):   # a stored run: it never changes, every row is there
            self._shown = None
            self._columns = tree
            self._ids, self._serial = tree.ids, tree.positions
            self._kids, self._parents, self._rows = tree.child_positions, tree.parent_positions, tree.rows
            self._kinds = tree.column("kind")
            return
        self._columns = None
        self._shown = {None: self._tree.child_count(None)}
        for node_id in self._tree.nodes:
            self._shown[node_id] = self._tree.child_count(node_id)

    def apply(self, event: Any, *, defer: bool = False) -> TreeChange | None:
        """Apply one event to the tree and tell views what changed.

        With `defer`, views hear about it at the next `flush()`: new rows in one insert per parent,
        and each changed node once (a live run with many sub-calls stays smooth this way)."""
        return self.show_change(self._tree.apply(event), defer=defer)

    def show_change(self, change: TreeChange | None, *, defer: bool = False) -> TreeChange | None:
        """Tell views what one event did to the tree (applied by its owner, e.g. the app's OpenRun)."""
        if change is None:
            return None
        self._filter_index = None
        if defer:
            if change.kind == "inserted":
                self._pending_parents.add(change.parent_id)
                self._dirty.update(change.updated)
            else:
                self._dirty.update(change.updated or (change.node_id,))
            return change
        if change.kind == "inserted":
            self._announce(change.parent_id)
            self._refresh(change.updated)
        else:
            self._refresh(change.updated or (change.node_id,))
        return change

    def set_findings(self, findings: Any, marks: FindingMarks | None = None, *, announce: bool = True) -> None:
        """Mark the nodes that failure-mode findings (Finding objects or their dicts) name; `marks`: the
        same by node (an OpenRun's `finding_marks`, made on the worker thread that read the run). Without
        `announce` views are not told (they have just been reset: they read everything again)."""
        old = self._node_findings
        self._node_findings = FindingMarks(f if isinstance(f, dict) else f.to_dict() for f in findings) \
            if marks is None else marks
        if announce:   # one dataChanged per run of sibling rows (a finding can name thousands of sub-calls)
            tree = self._tree
            self._dirty.update(n for n in (*old, *self._node_findings) if n in tree)
            self.flush()

    def _announce(self, parent_id: str | None) -> None:
        """Tell views about the rows of `parent_id` the tree has and views do not yet know."""
        if self._shown is None:
            return
        shown = self._shown.get(parent_id, 0)
        count = self._tree.child_count(parent_id)
        if count <= shown:
            return
        parent_index = self.index_of(parent_id) if parent_id is not None else QModelIndex()
        self.beginInsertRows(parent_index, shown, count - 1)
        self._shown[parent_id] = count
        for row in range(shown, count):
            self._mark_shown(self._tree.child_at(parent_id, row))
        self.endInsertRows()

    def _mark_shown(self, node_id: str) -> None:
        """A newly announced node comes with the whole subtree it already has."""
        assert self._shown is not None
        stack = [node_id]
        while stack:
            current = stack.pop()
            count = self._tree.child_count(current)
            self._shown[current] = count
            stack.extend(self._tree.child_at(current, row) for row in range(count))

    @property
    def pending(self) -> bool:
        return bool(self._pending_parents or self._dirty)

    def flush(self) -> None:
        """Announce deferred inserts (ancestors first) and changes (one dataChanged per run of sibling rows)."""
        parents, self._pending_parents = self._pending_parents, set()
        shown = self._shown
        for parent_id in sorted(parents, key=lambda p: -1 if p is None else self._tree.level(p)):
            if parent_id is None or shown is None or parent_id in shown:
                self._announce(parent_id)
        dirty, self._dirty = self._dirty, set()
        groups: dict[str | None, list[int]] = {}
        for node_id in dirty:
            if node_id in self._tree.nodes:
                parent_id = self._tree.parent(node_id)
                if parent_id is None or shown is None or parent_id in shown:
                    groups.setdefault(parent_id, []).append(self._tree.row(node_id))
        last = len(COLUMNS) - 1
        for parent_id, rows in groups.items():
            rows.sort()
            start = prev = rows[0]
            for row in rows[1:] + [None]:
                if row is not None and row == prev + 1:
                    prev = row
                    continue
                first = self._tree.child_at(parent_id, start)
                end = self._tree.child_at(parent_id, prev)
                self.dataChanged.emit(self.createIndex(start, 0, self._serial_of(first)),
                                      self.createIndex(prev, last, self._serial_of(end)))
                if row is not None:
                    start = prev = row

    def _refresh(self, node_ids: Iterable[str]) -> None:
        last = len(COLUMNS) - 1
        for node_id in node_ids:
            if node_id in self._tree.nodes:
                row = self._tree.row(node_id)
                serial = self._serial_of(node_id)
                self.dataChanged.emit(self.createIndex(row, 0, serial), self.createIndex(row, last, serial))

    # -- lookup -----------------------------------------------------------------------------
    def _serial_of(self, node_id: str) -> int:
        serial = self._serial.get(node_id)
        if serial is None:
            assert isinstance(self._ids, list), "a stored run's tree has every node's internal id"
            serial = len(self._ids)
            self._ids.append(node_id)
            self._serial[node_id] = serial
        return serial

    def kind_of(self, node_id: str) -> str:
        tree = self._tree
        return tree.kind_of(node_id) if isinstance(tree, ColumnTree) else tree.nodes[node_id].kind

    def matching(self, text: str) -> set[str]:
        """Ids of the nodes whose filter text (FILTER_ROLE) holds `text` (any case), with their ancestors:
        what a filter shows. The index of every node's text is built on the first search."""
        if self._filter_index is None:
            self._filter_index = FilterIndex(self._tree)
        found = self._filter_index.search(text)
        shown = set(found)
        for node_id in found:
            for ancestor in self._tree.ancestors(node_id):
                if ancestor in shown:
                    break
                shown.add(ancestor)
        return shown

    def filter_text(self, node_id: str) -> str:
        node = self._tree.nodes[node_id]
        return filter_text(node.label, node.summary, node.model, node.status, node.error)

    def child_id(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> str | None:
        """The id of the `row`-th child of `parent` (invalid: the top level), or None when there is none."""
        parent_id = self._ids[parent.internalId()] if parent.isValid() else None
        if row < 0 or row >= self._tree.child_count(parent_id):
            return None
        return self._tree.child_at(parent_id, row)

    def node_id(self, index: QModelIndex | QPersistentModelIndex) -> str | None:
        if not index.isValid():
            return None
        return self._ids[index.internalId()]

    def index_of(self, node_id: str, column: int = 0) -> QModelIndex:
        if node_id not in self._tree.nodes:
            return QModelIndex()
        return self.createIndex(self._tree.row(node_id), column, self._serial_of(node_id))

    # -- QAbstractItemModel ----------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        if self._columns is not None:   # called for every row an expand-all lays out: kept short
            if parent.isValid():
                siblings = self._kids.get(parent.internalId()) if parent.column() == 0 else None
            else:
                siblings = self._kids[-1]
            if siblings is None or row < 0 or row >= len(siblings) or column < 0 or column >= _COLUMN_COUNT:
                return QModelIndex()
            return self.createIndex(row, column, siblings[row])
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        parent_id = self.node_id(parent) if parent.isValid() else None
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if row >= (self._tree.child_count(parent_id) if self._shown is None else self._shown.get(parent_id, 0)):
            return QModelIndex()
        return self.createIndex(row, column, self._serial_of(self._tree.child_at(parent_id, row)))

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        if self._columns is not None:
            p = self._parents[index.internalId()]
            return QModelIndex() if p < 0 else self.createIndex(self._rows[p], 0, p)
        parent_id = self._tree.parent(self._ids[index.internalId()])
        if parent_id is None:
            return QModelIndex()
        return self.createIndex(self._tree.row(parent_id), 0, self._serial_of(parent_id))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if self._columns is not None:
            if not parent.isValid():
                return len(self._kids[-1])
            return len(self._kids.get(parent.internalId(), ())) if parent.column() == 0 else 0
        parent_id = None
        if parent.isValid():
            if parent.column() != 0:
                return 0
            parent_id = self._ids[parent.internalId()]
        if self._shown is None:
            return self._tree.child_count(parent_id)
        return self._shown.get(parent_id, 0)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        kind = self._kinds[index.internalId()] if self._columns is not None else self.kind_of(self._ids[index.internalId()])
        if kind in LEAF_KINDS:
            return _LEAF_FLAGS
        return _FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node_id = self._ids[index.internalId()]
        column = index.column()
        if role == NODE_ID_ROLE:
            return node_id
        if role == KIND_ROLE:
            return self.kind_of(node_id)
        node = self._tree.nodes[node_id]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(node, column)
        if role == SORT_ROLE:
            return self._sort_value(node, column)
        if role == FILTER_ROLE:
            return filter_text(node.label, node.summary, node.model, node.status, node.error)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [node.label, node.summary]
            if node.error:
                lines.append(f"Error: {node.error}")
            if node.tokens_estimated:
                lines.append("Token counts are estimates (the provider reported none).")
            lines += [f"⚑ {kind_title(kind)}: {reason}" for kind, reason in self._node_findings.get(node_id)]
            return "\n".join(line for line in lines if line)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_NODE:
            kind = self._node_findings.first_kind(node_id)
            return None if kind is None else QColor(kind_colour(kind))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            colour = fmt.STATUS_COLOURS.get(node.status)
            return QBrush(QColor(colour)) if colour else None
        return None

    def _display(self, node: NodeRecord, column: int) -> str:
        if column == COL_NODE:
            mark = _KIND_MARK.get(node.kind, "")
            return f"{mark} {node.label}: {node.summary}" if node.summary else f"{mark} {node.label}"
        if column == COL_MODEL:
            return short_model(node.model)
        if column == COL_IN:
            return fmt.tokens(node.input_tokens) if node.input_tokens else ""
        if column == COL_OUT:
            return fmt.tokens(node.output_tokens) if node.output_tokens else ""
        if column == COL_COST:
            if node.kind not in ("model_call", "subcall"):
                return ""
            return "" if node.status == "running" else fmt.dollars(node.cost_usd)
        if column == COL_SUBTREE_COST:
            totals = self._tree.totals(node.id)
            if totals.cost_unknown:
                return f"≥ {fmt.dollars(totals.known_cost_usd)}"
            return fmt.dollars(totals.known_cost_usd) if node.kind not in ("subcall", "final_answer") else ""
        if column == COL_DURATION:
            return fmt.duration_ms(node.duration_ms)
        if column == COL_STATUS:
            return fmt.status(node.status)
        return ""

    def _sort_value(self, node: NodeRecord, column: int) -> Any:
        if column == COL_NODE:
            return node.order
        if column == COL_MODEL:
            return node.model
        if column == COL_IN:
            return node.input_tokens
        if column == COL_OUT:
            return node.output_tokens
        if column == COL_COST:
            return node.cost_usd if node.cost_usd is not None else -1.0
        if column == COL_SUBTREE_COST:
            return self._tree.totals(node.id).known_cost_usd
        if column == COL_DURATION:
            return node.duration_ms if node.duration_ms is not None else -1.0
        return node.status


_COLUMN_COUNT = len(COLUMNS)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_LEAF_FLAGS = _FLAGS | Qt.ItemFlag.ItemNeverHasChildren


def filter_text(label: str, summary: str, model: str, status: str, error: str | None) -> str:
    """What the filter box matches for a node (FILTER_ROLE)."""
    return f"{label} {summary} {model} {fmt.status(status)} {error or ''}"


class FilterIndex:
    """Every node's filter text, lower-cased, in one string (one line per node, in opening order): a search
    is str.find over it, not a Python call per node."""

    def __init__(self, tree: RunTree) -> None:
        texts: Iterable[str]
        if isinstance(tree, ColumnTree):   # joined column by column with C methods: no Python call per node
            self.ids: tuple[str, ...] = tree.ids
            statuses = tree.column("status")
            shown = {status: fmt.status(status) for status in set(statuses)}
            errors = ["" if e is None else e for e in tree.column("error")]
            texts = map(" ".join, zip(tree.column("label"), tree.column("summary"), tree.column("model"),
                                      map(shown.__getitem__, statuses), errors, strict=True))
        else:
            self.ids = tuple(tree.nodes)
            texts = [filter_text(n.label, n.summary, n.model, n.status, n.error) for n in tree.nodes.values()]
        # one line per node, lower-cased before the lines are measured (lower() can change a length); a newline
        # inside a node's text becomes a space (the same length)
        lines = list(map(str.lower, texts))
        self.starts = (0, *accumulate(len(line) + 1 for line in lines[:-1]))   # ints in a tuple: not walked by the GC
        self.text = "\x1e".join(lines).replace("\n", " ").replace("\x1e", "\n")

    def search(self, text: str) -> list[str]:
        """Ids of the nodes whose text holds `text`, in opening order."""
        needle = text.lower()
        if not needle or "\n" in needle:
            return []
        found: list[str] = []
        haystack, starts, ids = self.text, self.starts, self.ids
        at = haystack.find(needle)
        while at >= 0:
            i = bisect_right(starts, at) - 1
            found.append(ids[i])
            next_line = starts[i + 1] if i + 1 < len(starts) else len(haystack)
            at = haystack.find(needle, next_line)
        return found
