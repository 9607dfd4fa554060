"""Two or more runs side by side: aligned steps, coloured text diffs, and totals with deltas to the baseline.

Runs are aligned by `analysis.alignment` paths (iteration by index, then cells, sub-calls and child runs
by call order); the first run is the baseline every other run is compared with.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rlm_studio.analysis.alignment import align_items
from rlm_studio.analysis.run_figures import compare_totals
from rlm_studio.engine.events import Event

from .compare_text import (  # noqa: F401  (diff_html and the colours are used by the replay view and tests)
    DIFFER_BACKGROUND,
    IMPROVEMENT,
    MAX_OVERVIEW_DIFFERENCES,
    MISSING_TEXT,
    REGRESSION,
    AlignedRow,
    aligned_rows,
    delta_text,
    diff_html,
    field_names,
    is_notable,
    item_summary,
    metric_text,
    stored_events,
)


class CompareView(QWidget):
    """Call `set_runs([events_a, events_b, ...], labels)`. Double-clicking a run's step emits
    `node_activated(run_id, node_id)` so the main window can open that run at that node."""

    node_activated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.runs: list[list[Event]] = []
        self.run_ids: list[str] = []
        self.rows: list[AlignedRow] = []
        self.totals: dict[str, Any] = {}

        self.summary = QLabel("<i>Pick two or more runs to compare.</i>")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.only_differences = QCheckBox("Show only differences")
        self.only_differences.toggled.connect(self._apply_filter)
        self.root_responses = QCheckBox("Compare root model responses")
        self.root_responses.setToolTip("Also diff the root model's whole responses (its prose), not only the "
                                       "code taken from them")
        self.root_responses.toggled.connect(self._realign)

        self.totals_table = QTableWidget()
        self.totals_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.totals_table.verticalHeader().setVisible(True)
        self.totals_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.totals_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)

        self.steps_table = QTableWidget()
        self.steps_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.steps_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps_table.verticalHeader().setVisible(False)
        self.steps_table.setWordWrap(False)
        self.steps_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.steps_table.itemSelectionChanged.connect(self._show_selected)
        self.steps_table.cellDoubleClicked.connect(self._double_clicked)

        self.diff = QTextBrowser()
        self.diff.setPlaceholderText("Select a step to see how its code, output and answers differ.")

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.root_responses)
        top.addWidget(self.only_differences)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.steps_table)
        lower.addWidget(self.diff)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.totals_table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # -- loading ----------------------------------------------------------------------------
    def set_runs(self, runs: Sequence[Iterable[Any]], labels: Sequence[str] | None = None) -> None:
        """Compare these runs (each a list of stored events); the first is the baseline."""
        loaded = [stored_events(events) for events in runs]
        if len(loaded) < 2:
            raise ValueError(f"comparing needs at least two runs, got {len(loaded)}")
        for n, events in enumerate(loaded):
            if not any(e.kind == "run_started" for e in events):
                raise ValueError(f"run {n + 1} has no recorded start: it cannot be compared")
        if labels is not None and len(labels) != len(loaded):
            raise ValueError(f"got {len(labels)} labels for {len(loaded)} runs")
        self.labels = list(labels) if labels is not None else \
            [f"{chr(65 + n) if n < 26 else n + 1}" + (" (baseline)" if n == 0 else "") for n in range(len(loaded))]
        self.run_ids = [events[0].run_id for events in loaded]
        self.totals = compare_totals(loaded)
        self.runs = loaded
        self._fill_totals()
        self._realign()

    def _realign(self) -> None:
        """Align the runs' steps again (after loading, or when the root-response option changes)."""
        if not self.runs:
            return
        with_responses = self.root_responses.isChecked()
        self.rows = aligned_rows([align_items(events, root_responses=with_responses) for events in self.runs])
        self._fill_steps()
        self._fill_summary()
        self._apply_filter()
        self.diff.setHtml(self.overview_html())

    @property
    def differing_rows(self) -> list[AlignedRow]:
        return [row for row in self.rows if row.differs]

    def _fill_summary(self) -> None:
        differing = self.differing_rows
        steps = len(self.rows)
        if not differing:
            self.summary.setText(f"<b style='color:{IMPROVEMENT}'>No differences</b> in {steps} aligned steps: "
                                 "code, output, sub-calls and answers match the baseline.")
        else:
            self.summary.setText(f"<b style='color:{REGRESSION}'>{len(differing)} of {steps} steps differ</b> "
                                 f"from the baseline run, {html.escape(self.labels[0])}.")

    def _fill_totals(self) -> None:
        metrics = self.totals["metrics"]
        table = self.totals_table
        table.clear()
        table.setRowCount(len(metrics))
        table.setColumnCount(len(self.labels))
        table.setHorizontalHeaderLabels(self.labels)
        table.setVerticalHeaderLabels([m["label"] for m in metrics])
        for r, metric in enumerate(metrics):
            key = metric["key"]
            baseline = metric["values"][0]
            for c, (value, delta) in enumerate(zip(metric["values"], metric["deltas"])):
                text = metric_text(key, value)
                item = QTableWidgetItem(text if c == 0 else f"{text}  ({delta_text(key, delta)})")
                item.setTextAlignment(int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter))
                if c > 0 and is_notable(key, baseline, delta):
                    worse = delta > 0  # every compared figure is better lower: tokens, cost, time, counts
                    item.setForeground(QBrush(QColor(REGRESSION if worse else IMPROVEMENT)))
                    if worse:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                    item.setToolTip(f"{'More' if worse else 'Less'} than the baseline")
                table.setItem(r, c, item)
        visible_rows = table.verticalHeader().defaultSectionSize() * len(metrics)
        table.setMinimumHeight(min(360, visible_rows + table.horizontalHeader().sizeHint().height() + 6))

    def _fill_steps(self) -> None:
        table = self.steps_table
        table.clear()
        table.setRowCount(len(self.rows))
        table.setColumnCount(1 + len(self.labels))
        table.setHorizontalHeaderLabels(["Step", *self.labels])
        highlight = QBrush(QColor(DIFFER_BACKGROUND))
        for r, row in enumerate(self.rows):
            name = "    " * row.level + row.path.split(" / ")[-1]
            step = QTableWidgetItem(name)
            step.setToolTip(row.path + (f"\nDiffers in: {', '.join(row.differing_fields)}" if row.differs else ""))
            if row.kind in ("run", "iteration"):
                font = step.font()
                font.setBold(True)
                step.setFont(font)
            table.setItem(r, 0, step)
            cells = [step]
            for c, item in enumerate(row.items, start=1):
                cell = QTableWidgetItem(item_summary(item))
                cell.setToolTip(item_summary(item))
                if item is None:
                    cell.setForeground(QBrush(QColor("#9e9e9e")))
                    font = cell.font()
                    font.setItalic(True)
                    cell.setFont(font)
                table.setItem(r, c, cell)
                cells.append(cell)
            if row.differs:
                for cell in cells:   # every column of the row
                    cell.setBackground(highlight)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for c in range(1, table.columnCount()):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)

    def _apply_filter(self) -> None:
        only = self.only_differences.isChecked()
        for r, row in enumerate(self.rows):
            self.steps_table.setRowHidden(r, only and not row.differs)
        for r, metric in enumerate(self.totals.get("metrics", [])):
            same = all(d == 0 for d in metric["deltas"])
            self.totals_table.setRowHidden(r, only and same)

    def visible_steps(self) -> list[str]:
        """Paths of the aligned steps the table shows now (after the filter)."""
        return [row.path for r, row in enumerate(self.rows) if not self.steps_table.isRowHidden(r)]

    # -- details ----------------------------------------------------------------------------
    def step_html(self, row: AlignedRow) -> str:
        """Every field of one step: the baseline's text, and each other run's diff against it."""
        base = row.items[0]
        parts = [f"<h3>{html.escape(row.path)}</h3>"]
        for n, item in enumerate(row.items[1:], start=1):
            if item is None or base is None:
                only = self.labels[0] if item is None else self.labels[n]
                parts.append(f"<p><b>{html.escape(self.labels[n])}:</b> this step ran only in "
                             f"{html.escape(only)}.</p>")
        for name in field_names(row.items):
            values = [None if item is None else item.fields.get(name) for item in row.items]
            present = [v for item, v in zip(row.items, values) if item is not None]
            if all(v == present[0] for v in present):
                if present and present[0] not in (None, ""):
                    parts.append(f"<p><b>{html.escape(name)}</b> (same in every run)</p>"
                                 f"<pre style='color:#444'>{html.escape(str(present[0]))}</pre>")
                continue
            parts.append(f"<p><b style='color:{REGRESSION}'>{html.escape(name)} differs</b></p>")
            for n in range(1, len(row.items)):
                if base is None or row.items[n] is None or values[n] == values[0]:
                    continue
                parts.append(f"<p>{html.escape(self.labels[0])} → {html.escape(self.labels[n])}:</p>")
                parts.append(diff_html(values[0], values[n], self.labels[0], self.labels[n]))
        return "".join(parts)

    def overview_html(self) -> str:
        """Every differing step with its diffs (the first MAX_OVERVIEW_DIFFERENCES)."""
        differing = self.differing_rows
        if not differing:
            return ("<p><b style='color:#2e7d32'>No differences.</b> Every aligned step has the same code, "
                    "output, sub-call prompts and answers, errors and final answer.</p>")
        parts = [f"<p>{len(differing)} differing steps. Select one in the table to see only its diffs.</p>"]
        parts += [self.step_html(row) for row in differing[:MAX_OVERVIEW_DIFFERENCES]]
        if len(differing) > MAX_OVERVIEW_DIFFERENCES:
            parts.append(f"<p>… and {len(differing) - MAX_OVERVIEW_DIFFERENCES} more.</p>")
        return "".join(parts)

    def _show_selected(self) -> None:
        selected = self.steps_table.selectionModel().selectedRows()
        if not selected:
            self.diff.setHtml(self.overview_html())
            return
        self.diff.setHtml(self.step_html(self.rows[selected[0].row()]))

    def _double_clicked(self, r: int, c: int) -> None:
        if c == 0 or r >= len(self.rows):
            return
        item = self.rows[r].items[c - 1]
        if item is not None:
            self.node_activated.emit(self.run_ids[c - 1], item.node_id)
