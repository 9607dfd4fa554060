"""The run view: header, the live node tree (filter, sort, expand/collapse) and the detail pane."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.engine.run_tree.columns import ColumnTree

from .detail_html import NodeDetail, build_detail, render_html, section_text
from .follow_up_box import FollowUpBox
from .open_run_signals import OpenRunSignals
from .run_header import RunHeader
from .tree_model import COL_NODE, KIND_ROLE, NODE_ID_ROLE, SORT_ROLE, RunTreeModel

AUTO_EXPAND_KINDS = ("run", "iteration", "cell")
LIVE_FLUSH_MS = 40     # how often queued live events reach the tree
SLICE_S = 0.008        # UI-thread time spent applying them per turn


class NodeProxyModel(QSortFilterProxyModel):
    """Sorting and the filter box over the tree model, cheap when neither is in use.

    Without a filter, hasChildren asks the source (the base class would build and sort the child
    mapping of every visible node); sorting by the Node column ascending is the source order itself.
    The filter is one search of the source's filter index (`RunTreeModel.matching`: the matching nodes and
    their ancestors), so a row is accepted by a set lookup, never by reading its text through Qt. A live
    tree also matches rows that came after the search, and its parents follow their children (recursive).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.needle = ""
        self._shown: set[str] | None = None   # what the filter shows; None: no filter

    def set_needle(self, text: str) -> None:
        """Show only the nodes whose text (FILTER_ROLE) holds `text`, any case, and their ancestors."""
        source = self.sourceModel()
        self.needle = text
        self._shown = source.matching(text) if text and isinstance(source, RunTreeModel) else None
        live = isinstance(source, RunTreeModel) and not isinstance(source.tree, ColumnTree)
        self.setRecursiveFilteringEnabled(bool(text) and live)
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        shown = self._shown
        if shown is None:
            return True
        source = self.sourceModel()
        assert isinstance(source, RunTreeModel)
        node_id = source.child_id(source_row, source_parent)
        if node_id is None:
            return False
        if node_id in shown:
            return True
        # a live node that came after the search (or whose text changed since)
        return not isinstance(source.tree, ColumnTree) and self.needle.lower() in source.filter_text(node_id).lower()

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if self._shown is None:
            source = self.sourceModel()
            return source is not None and source.hasChildren(self.mapToSource(parent))
        return super().hasChildren(parent)

    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        if column == COL_NODE and order == Qt.SortOrder.AscendingOrder:
            self.sort(-1)  # the order the nodes opened in: no sorting at all
        else:
            self.sort(column, order)


class RunView(QWidget):
    """Shows one OpenRun (its own, or the window's): the view observes it and never keeps a second copy."""

    fork_requested = Signal(str)  # a node id of an iteration, its model call or one of its cells

    def __init__(self, run: OpenRun | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run if run is not None else OpenRun()
        self.run_signals = OpenRunSignals(self.run, self)
        self.model = RunTreeModel(self.run.tree)
        self.proxy = NodeProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self._detail: NodeDetail | None = None
        self._expanded: set[str] = set()
        self._selected: str | None = None

        self.header = RunHeader()
        self.replaying = False  # the replay player's view: the header's Time is the recording's, not the clock's
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter nodes (text in label, code, prompt, model, status)…  Ctrl+F")
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(self._filter_timer.start)
        self.expand_button = QPushButton("Expand all")
        self.collapse_button = QPushButton("Collapse all")
        self.tree_view = QTreeView()
        # the view shows the tree model itself; the proxy only while a filter or a sort is in use (every
        # row an expand-all lays out would otherwise cost four calls into Python instead of one)
        self.tree_view.setModel(self.model)
        self.tree_view.setUniformRowHeights(True)
        header = self.tree_view.header()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_NODE, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort_by)
        self.tree_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree_view.setAlternatingRowColors(True)
        self.tree_view.setAllColumnsShowFocus(True)
        header = self.tree_view.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        for col in range(self.model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, {COL_NODE: 420, 1: 130, 2: 95, 3: 100, 5: 95, 7: 100}.get(col, 80))
        self.expand_button.clicked.connect(self.tree_view.expandAll)
        self.collapse_button.clicked.connect(self.tree_view.collapseAll)
        self.tree_view.selectionModel().currentChanged.connect(self._current_changed)
        self.tree_view.installEventFilter(self)  # J / K while the tree has focus (F8 is a window action)
        self.model.rowsInserted.connect(self._rows_inserted)

        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._link)
        self.detail.setPlaceholderText("Select a node to see its messages, code, output and figures.")
        self.fork_button = QPushButton("Fork from here…")
        self.fork_button.setToolTip("Start a new run that keeps the iterations before this one and continues "
                                    "from here, with other models, budgets or an edited response (Ctrl+Shift+F)")
        self.fork_button.clicked.connect(lambda: self._selected and self.fork_requested.emit(self._selected))
        self.fork_button.setVisible(False)
        self.tree_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree_view.customContextMenuRequested.connect(self._context_menu)

        tools = QHBoxLayout()
        tools.addWidget(self.filter, 1)
        tools.addWidget(self.expand_button)
        tools.addWidget(self.collapse_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(tools)
        left_layout.addWidget(self.tree_view)
        self.splitter = QSplitter(Qt.Orientation.Vertical)  # the tree gets the full width for its columns
        self.splitter.addWidget(left)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.setSpacing(2)
        fork_bar = QHBoxLayout()
        fork_bar.addStretch(1)
        fork_bar.addWidget(self.fork_button)
        bottom_layout.addLayout(fork_bar)
        bottom_layout.addWidget(self.detail, 1)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([450, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        self.follow_up = FollowUpBox()  # ask the next turn on this run's REPL (shown once the run has ended)
        layout.addWidget(self.follow_up)
        layout.addWidget(self.splitter, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(150)
        self._refresh_timer.timeout.connect(self._refresh_now)
        self._detail_dirty = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self.flush)
        self._live_queue: deque[Any] = deque()
        self.run_signals.changed.connect(self._run_changed)

    @property
    def index(self) -> OpenRun:
        """The open run's events by node (the name older callers use for `run`)."""
        return self.run

    @property
    def running(self) -> bool:
        return self.run.running

    @running.setter
    def running(self, running: bool) -> None:
        self.run.set_running(running)

    def _run_changed(self, change: str) -> None:
        if change == "reset":
            self._flush_timer.stop()
            self._live_queue.clear()
            self.model.set_tree(self.run.tree)
            if self.proxy.needle:   # the filter box still holds text: filter the new tree with it
                self.proxy.set_needle(self.proxy.needle)
            if self.run.findings is not None:   # the view was just reset: nothing to announce
                self.model.set_findings(self.run.findings, self.run.finding_marks, announce=False)
            self._selected = None
            self._detail = None
            self.detail.clear()
            self.fork_button.setVisible(False)
            if not self.run.running:
                self._expand_top()
            self._refresh_now()
        elif change == "findings":
            self.model.set_findings(self.run.findings or [], self.run.finding_marks)
        elif change == "links":
            self.header.show_links(self.run)
        elif change == "events":
            self._schedule()
        else:  # isolation, warnings, state: shown at once
            self.refresh_header()

    # -- feeding ----------------------------------------------------------------------------
    def begin_live(self) -> None:
        """Clear the view for a run that is about to start."""
        self.run.reset(running=True)

    def add_live_event(self, event: Any) -> None:
        """A live run's event, as an engine sink: only queued here (the engine may emit a thousand at
        once); `flush` applies the queue in slices of a few milliseconds, so the window keeps painting,
        and the tree gets one row insert per parent per slice instead of one per event."""
        self._live_queue.append(event)
        if not self._flush_timer.isActive():
            self._flush_timer.start(LIVE_FLUSH_MS)

    def add_event(self, event: Any, *, batch: bool = False) -> None:
        """One event: index it, grow the tree (now, or batched), refresh header/detail soon (throttled)."""
        change = self.model.show_change(self.run.apply(event), defer=batch)
        if not batch:
            self.run.publish()
        if event.kind == "model_call_delta":
            if event.node_id == self._selected:
                self._detail_dirty = True
                self._schedule()
            return
        if self._selected is not None and (event.node_id == self._selected
                                           or (change and self._selected in change.updated[:1])):
            self._detail_dirty = True
        self._schedule()

    def flush(self, budget_s: float | None = SLICE_S) -> None:
        """Apply queued live events for at most `budget_s` (None: all), then show them in the tree."""
        queue = self._live_queue
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        count = 0
        while queue:
            self.add_event(queue.popleft(), batch=True)
            count += 1
            if deadline is not None and count % 16 == 0 and time.perf_counter() > deadline:
                break
        self.model.flush()
        self.run.publish()
        if queue:
            self._flush_timer.start(0)  # more to do: continue after Qt has had its turn

    def end_live(self) -> None:
        self._flush_timer.stop()
        self.flush(None)
        self._detail_dirty = True
        self.run.set_running(False)
        self._refresh_now()
        self._update_fork_button()

    def show_events(self, events: list[Any]) -> None:
        """Open a stored run: build it once, then one model reset."""
        self.show_run(OpenRun.from_events(events))

    def show_run(self, built: OpenRun) -> None:
        """Show a run built with OpenRun.from_events (e.g. on a worker thread): one model reset."""
        self.run.reset(built)

    def _expand_top(self) -> None:
        """Expand the root run and its iterations (not every cell: a stored run can be huge)."""
        model = self.tree_view.model()
        root = model.index(0, 0)
        if root.isValid():
            self.tree_view.expand(root)
            for row in range(min(model.rowCount(root), 200)):
                self.tree_view.expand(model.index(row, 0, root))

    # -- which model the view shows -----------------------------------------------------------
    def view_index(self, source: QModelIndex | str) -> QModelIndex:
        """The view's index of a tree-model index (or a node id): itself, or through the proxy."""
        if isinstance(source, str):
            source = self.model.index_of(source)
        if self.tree_view.model() is self.proxy:
            return self.proxy.mapFromSource(source)
        return source

    def _show_model(self) -> None:
        """Show the proxy while a filter or a sort is in use, else the tree model (keeping the header's
        widths and sort indicator; callers select the selected node again)."""
        model = self.proxy if self.proxy.needle or self.proxy.sortColumn() >= 0 else self.model
        view = self.tree_view
        if view.model() is model:
            return
        header = view.header()
        state = header.saveState()
        old = view.selectionModel()
        header.blockSignals(True)
        try:
            view.setModel(model)
            header.restoreState(state)
        finally:
            header.blockSignals(False)
        view.selectionModel().currentChanged.connect(self._current_changed)
        if old is not None:
            old.deleteLater()

    def _sort_by(self, column: int, order: Qt.SortOrder) -> None:
        self.proxy.sort_by(column, order)
        view = self.tree_view
        before = view.model()
        self._show_model()
        if view.model() is not before:
            self._expand_top()
            if self._selected is not None:
                self.select_node(self._selected)

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not self.running:
            return
        top_level_cells = not parent.parent().parent().isValid()  # cells of the root run, not of child runs
        for row in range(first, last + 1):
            index = self.model.index(row, 0, parent)
            kind = self.model.data(index, KIND_ROLE)
            if kind in AUTO_EXPAND_KINDS and (kind != "cell" or top_level_cells):
                self.tree_view.expand(self.view_index(index))

    def refresh_header(self) -> None:
        self.header.show_run(self.run, self._header_now())

    def _header_now(self) -> float | None:
        """A replay is timed to the last event it has shown, not to the clock (the run happened earlier)."""
        return self.run.events[-1].ts if self.replaying and self.run.events else None

    def _schedule(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_now(self) -> None:
        if self.model.pending:
            self.model.flush()
        self.header.show_run(self.run, self._header_now())
        if self._detail_dirty and self._selected is not None:
            self._render_detail(keep_scroll=True)
        self._detail_dirty = False

    # -- selection and detail ---------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        node_id = current.data(NODE_ID_ROLE) if current.isValid() else None
        if node_id is None or node_id == self._selected:
            return
        self._selected = node_id
        self._expanded = set()
        self._render_detail(keep_scroll=False)
        self._update_fork_button()

    def select_node(self, node_id: str) -> bool:
        source = self.model.index_of(node_id)
        if not source.isValid():
            return False
        index = self.view_index(source)
        if not index.isValid():
            return False
        parent = index.parent()
        while parent.isValid():
            self.tree_view.expand(parent)
            parent = parent.parent()
        self.tree_view.setCurrentIndex(index)
        self.tree_view.scrollTo(index)
        return True

    @property
    def selected_node(self) -> str | None:
        return self._selected

    # -- forking ------------------------------------------------------------------------------
    def fork_iteration(self, node_id: str | None = None) -> int | None:
        """The iteration a fork from `node_id` (default: the selected node) starts at; None: not forkable now."""
        if self.running:
            return None
        return self.run.fork_iteration(self._selected if node_id is None else node_id)

    def _update_fork_button(self) -> None:
        self.fork_button.setVisible(self.fork_iteration() is not None)

    def _context_menu(self, position: QPoint) -> None:
        index = self.tree_view.indexAt(position)
        node_id = index.data(NODE_ID_ROLE) if index.isValid() else None
        iteration = self.fork_iteration(node_id)
        if node_id is None or iteration is None:
            return
        menu = QMenu(self)
        action = menu.addAction(f"Fork from iteration {iteration}…")
        action.triggered.connect(lambda: self.fork_requested.emit(node_id))
        menu.popup(self.tree_view.viewport().mapToGlobal(position))
        self._menu = menu  # kept for tests

    def _render_detail(self, keep_scroll: bool) -> None:
        node_id = self._selected
        if node_id is None or node_id not in self.run.tree:
            return
        node = self.run.tree.node(node_id)
        self._detail = build_detail(node, self.run.for_node(node_id), self.run.streaming.get(node_id))
        bar = self.detail.verticalScrollBar()
        position = bar.value()
        self.detail.setHtml(render_html(self._detail, self._expanded))
        if keep_scroll:
            bar.setValue(position)

    def _link(self, url: QUrl) -> None:
        action, _, key = url.toString().partition(":")
        if self._detail is None:
            return
        if action == "showall":
            self._expanded.add(key)
            self._render_detail(keep_scroll=True)
        elif action == "copy":
            text = section_text(self._detail, key)
            if text is not None:
                QGuiApplication.clipboard().setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.tree_view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            if event.key() == Qt.Key.Key_J:
                self.next_node()
                return True
            if event.key() == Qt.Key.Key_K:
                self.previous_node()
                return True
        return super().eventFilter(watched, event)

    # -- navigation -------------------------------------------------------------------------
    def _step(self, index: QModelIndex, forward: bool) -> QModelIndex:
        """Pre-order neighbour in the (filtered, sorted) tree, entering collapsed nodes too."""
        model = self.tree_view.model()
        if not index.isValid():
            return model.index(0, 0)
        index = index.siblingAtColumn(0)
        if forward:
            if model.rowCount(index):
                return model.index(0, 0, index)
            while index.isValid():
                sibling = index.sibling(index.row() + 1, 0)
                if sibling.isValid():
                    return sibling
                index = index.parent()
            return QModelIndex()
        if index.row() == 0:
            return index.parent()
        index = index.sibling(index.row() - 1, 0)
        while model.rowCount(index):
            index = model.index(model.rowCount(index) - 1, 0, index)
        return index

    def _go(self, forward: bool) -> None:
        target = self._step(self.tree_view.currentIndex(), forward)
        if target.isValid():
            parent = target.parent()
            while parent.isValid():
                self.tree_view.expand(parent)
                parent = parent.parent()
            self.tree_view.setCurrentIndex(target)
            self.tree_view.scrollTo(target)

    def next_node(self) -> None:
        self._go(True)

    def previous_node(self) -> None:
        self._go(False)

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def set_filter(self, text: str) -> None:
        """Filter now (the box waits for a pause in typing)."""
        self.filter.setText(text)
        self._filter_timer.stop()
        self._apply_filter()

    def _apply_filter(self) -> None:
        text = self.filter.text()
        if text == self.proxy.needle:
            return
        view = self.tree_view
        view.setUpdatesEnabled(False)
        try:
            view.collapseAll()  # filtering under thousands of expanded rows is very slow in Qt
            self.proxy.set_needle(text)
            self._show_model()
            if text:
                view.expandAll()
            else:
                self._expand_top()
        finally:
            view.setUpdatesEnabled(True)
        if self._selected is not None:
            self.select_node(self._selected)
