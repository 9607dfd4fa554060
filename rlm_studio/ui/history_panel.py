"""The history sidebar: stored runs with search, filters, rename, tags, note and delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import formatting as fmt
from .failure_badges import KIND_STYLES, kind_colour, kind_title
from .history_conversations import all_items, group_conversations, item_order
from .user_errors import describe_error

STATUSES = ("", "running", "completed", "limit_hit", "failed", "cancelled", "interrupted", "damaged")
COL_FINDINGS = 4  # the findings column (the run title also carries them as coloured dots)


def finding_dots(kinds: list[str], size: int = 10) -> QIcon:
    """One coloured dot per failure mode found, side by side (the history's badge in its first column)."""
    pixmap = QPixmap(max(1, len(kinds)) * (size + 2), size + 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    for n, kind in enumerate(kinds):
        painter.setBrush(QColor(kind_colour(kind)))
        painter.drawEllipse(n * (size + 2) + 1, 1, size, size)
    painter.end()
    return QIcon(pixmap)


class HistoryPanel(QWidget):
    run_opened = Signal(str)
    run_deleted = Signal(str)
    replay_requested = Signal(str)
    compare_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.store: Any | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search runs (question, answer, code, output)…")
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox()
        for status in STATUSES:
            self.status.addItem(fmt.status(status) if status else "any status", status)
        self.finding = QComboBox()
        self.finding.setToolTip("Show only runs with a finding of this failure mode")
        self.finding.addItem("any findings", "")
        for kind in KIND_STYLES:
            self.finding.addItem(finding_dots([kind]), kind_title(kind), kind)
        self.model = QLineEdit()
        self.model.setPlaceholderText("model")
        self.tag = QLineEdit()
        self.tag.setPlaceholderText("tag")
        self.use_since = QCheckBox("since")
        self.since = QDateEdit(QDate.currentDate().addDays(-7))
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")  # as `runs --since` takes it (the C locale shows '24 11 2026')
        self.since.setEnabled(False)
        self.use_since.toggled.connect(self.since.setEnabled)
        self.runs = QTreeWidget()
        self.runs.setHeaderLabels(["Run", "Status", "Cost", "Started", "Findings"])
        self.runs.setRootIsDecorated(False)
        self.runs.setUniformRowHeights(True)
        self.runs.setAlternatingRowColors(True)
        self.runs.header().resizeSection(0, 170)
        self.runs.header().resizeSection(1, 80)  # room left in the 330-px dock for a cost such as $0.00200
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#c62828")
        self.rename_button = QPushButton("Rename")
        self.tag_button = QPushButton("Tags")
        self.note_button = QPushButton("Note")
        self.delete_button = QPushButton("Delete")
        self.replay_button = QPushButton("Replay")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Compare the selected runs (Ctrl+click to select several)")
        self.runs.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)

        filters = QHBoxLayout()
        filters.addWidget(self.status)
        filters.addWidget(self.model)
        filters.addWidget(self.tag)
        dates = QHBoxLayout()
        dates.addWidget(self.use_since)
        dates.addWidget(self.since)
        dates.addWidget(self.finding, 1)
        actions = QHBoxLayout()
        for button in (self.rename_button, self.tag_button, self.note_button, self.delete_button):
            actions.addWidget(button)
        actions2 = QHBoxLayout()
        actions2.addWidget(self.replay_button)
        actions2.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addLayout(dates)
        layout.addWidget(self.runs, 1)
        layout.addLayout(actions)
        layout.addLayout(actions2)
        layout.addWidget(self.message)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        for edit in (self.search, self.model, self.tag):
            edit.textChanged.connect(self._debounce.start)
        self.status.currentIndexChanged.connect(self._debounce.start)
        self.finding.currentIndexChanged.connect(self._debounce.start)
        self.use_since.toggled.connect(self._debounce.start)
        self.since.dateChanged.connect(self._debounce.start)
        self.runs.itemActivated.connect(self._open)
        self.runs.itemClicked.connect(self._open)
        self.rename_button.clicked.connect(self.rename_selected)
        self.tag_button.clicked.connect(self.tag_selected)
        self.note_button.clicked.connect(self.note_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.replay_button.clicked.connect(self._replay_selected)
        self.compare_button.clicked.connect(lambda: self.compare_requested.emit(self.selected_runs()))
        self._set_enabled(False)

    def set_store(self, store: Any | None, problem: str | None = None) -> None:
        self.store = store
        self._set_enabled(store is not None)
        self.refresh()
        if problem:
            self._error(problem)

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color:#c62828")
        self.message.setText(text)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.search, self.status, self.finding, self.model, self.tag, self.use_since, self.rename_button,
                       self.tag_button, self.note_button, self.delete_button, self.replay_button,
                       self.compare_button):
            widget.setEnabled(enabled)

    def refresh(self) -> None:
        self.runs.clear()
        if self.store is None:
            return
        since = None
        if self.use_since.isChecked():
            d = self.since.date()
            since = dt.datetime(d.year(), d.month(), d.day()).timestamp()
        try:
            runs = self.store.list_runs(status=self.status.currentData() or None,
                                        model=self.model.text().strip() or None,
                                        text=self.search.text().strip() or None, since=since,
                                        tag=self.tag.text().strip() or None,
                                        finding=self.finding.currentData() or None, limit=500)
        except Exception as exc:
            self._error(describe_error(exc, "reading the history"))
            return
        self.message.setStyleSheet("color:#666")
        self.message.setText("" if runs else "No runs match." if self._filtered() else "No runs yet.")
        for run in runs:
            title = run.get("name") or run.get("question") or run["id"]
            title = title.splitlines()[0][:120] if title else run["id"]
            cost = None if run.get("cost_unknown") else run.get("cost_usd")
            started = dt.datetime.fromtimestamp(run.get("created_at") or 0).strftime("%Y-%m-%d %H:%M")
            item = QTreeWidgetItem([title, fmt.status(run.get("status")), fmt.dollars(cost), started])
            item.setData(0, Qt.ItemDataRole.UserRole, run["id"])
            tip = [run.get("question", "")[:500], f"Root model: {run.get('root_model', '')}"]
            if run.get("tags"):
                tip.append("Tags: " + ", ".join(run["tags"]))
            if run.get("note"):
                tip.append("Note: " + run["note"])
            kinds = run.get("finding_kinds") or []
            if kinds:
                item.setIcon(0, finding_dots(kinds))
                item.setText(COL_FINDINGS, ", ".join(kind_title(k) for k in kinds))
                item.setForeground(COL_FINDINGS, QBrush(QColor(kind_colour(kinds[0]))))
                reasons = self._reasons(run["id"], kinds)
                item.setToolTip(COL_FINDINGS, reasons)
                tip.append(reasons)
            item.setData(COL_FINDINGS, Qt.ItemDataRole.UserRole, list(kinds))
            item.setToolTip(0, "\n".join(tip))
            self.runs.addTopLevelItem(item)
        group_conversations(self.runs, self.store)  # a conversation: one entry, its later turns under it

    def _reasons(self, run_id: str, kinds: list[str]) -> str:
        """The tooltip of a run with findings: each failure mode found and why."""
        assert self.store is not None   # only refresh() asks, with a store
        try:
            findings = self.store.findings(run_id)
        except Exception:
            findings = [{"kind": k, "reason": ""} for k in kinds]
        lines = [f"⚑ {kind_title(f['kind'])}" + (f": {f['reason']}" if f.get("reason") else "") for f in findings]
        if len(lines) > 8:
            lines = lines[:8] + [f"… and {len(lines) - 8} more"]
        return "Findings:\n" + "\n".join(lines)

    def _filtered(self) -> bool:
        return bool(self.search.text().strip() or self.model.text().strip() or self.tag.text().strip()
                    or self.status.currentData() or self.finding.currentData() or self.use_since.isChecked())

    def selected_run(self) -> str | None:
        item = self.runs.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    def selected_runs(self) -> list[str]:
        """Ids of every selected run, in list order (the first is the comparison's baseline)."""
        items = sorted(self.runs.selectedItems(), key=lambda item: item_order(self.runs, item))
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in items]

    def select_run(self, run_id: str) -> None:
        for item in all_items(self.runs):
            if item.data(0, Qt.ItemDataRole.UserRole) == run_id:
                self.runs.setCurrentItem(item)
                return

    def _replay_selected(self) -> None:
        run_id = self.selected_run()
        if run_id:
            self.replay_requested.emit(run_id)

    def _open(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.run_opened.emit(item.data(0, Qt.ItemDataRole.UserRole))

    def _act(self, doing: str, action: Callable[[], object]) -> bool:
        try:
            action()
        except Exception as exc:
            self._error(describe_error(exc, doing))
            return False
        self.refresh()
        return True

    def rename_selected(self) -> None:
        run_id = self.selected_run()
        if run_id is None or self.store is None:
            return
        store = self.store
        current = store.get_run(run_id).get("name", "")
        name, ok = QInputDialog.getText(self, "Rename run", "Name:", text=current)
        if ok:
            self._act("renaming the run", lambda: store.rename_run(run_id, name.strip()))

    def tag_selected(self) -> None:
        run_id = self.selected_run()
        if run_id is None or self.store is None:
            return
        current = self.store.get_run(run_id).get("tags", [])
        text, ok = QInputDialog.getText(self, "Tags", "Tags, comma separated:", text=", ".join(current))
        if not ok:
            return
        wanted = {t.strip() for t in text.split(",") if t.strip()}

        store = self.store   # set once, when the database has opened (the buttons wait for it)

        def apply() -> None:
            for tag in set(current) - wanted:
                store.remove_tag(run_id, tag)
            for tag in wanted - set(current):
                store.add_tag(run_id, tag)
        self._act("tagging the run", apply)

    def note_selected(self) -> None:
        run_id = self.selected_run()
        if run_id is None or self.store is None:
            return
        store = self.store
        current = store.get_run(run_id).get("note", "")
        text, ok = QInputDialog.getMultiLineText(self, "Note", "Note for this run:", current)
        if ok:
            self._act("saving the note", lambda: store.set_note(run_id, text))

    def delete_selected(self, confirm: bool = True) -> None:
        run_id = self.selected_run()
        if run_id is None or self.store is None:
            return
        if confirm:
            answer = QMessageBox.question(self, "Delete run", "Delete this run and everything recorded for it? "
                                          "This cannot be undone.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        store = self.store
        if self._act("deleting the run", lambda: store.delete_run(run_id)):
            self.run_deleted.emit(run_id)
