"""The Bench tab's results: the method x family table, a clicked cell's tasks (open one's run), the findings
per method and model, and the comparison with a second bench. Plain tables over `bench.report`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rlm_studio.bench import report
from rlm_studio.bench.tokens import format_size

from . import formatting as fmt

SUMMARY_HEADERS = ["Method", "Family", "Tasks", "Score", "Failed runs", "Cost mean", "Cost median", "Tokens mean",
                   "Time mean"]
TASK_HEADERS = ["Task", "Size", "Status", "Score", "Answer", "Expected", "Cost", "Tokens", "Time", "Run"]
FINDING_HEADERS = ["Method", "Model", "Finding", "Runs"]
COMPARE_HEADERS = ["Method", "Family", "Score A", "Score B", "Delta", "Cost A", "Cost B", "Time A", "Time B"]


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, lines: list[list[str]], data: list[Any] | None = None) -> None:
    table.setRowCount(len(lines))
    for r, line in enumerate(lines):
        for c, text in enumerate(line):
            item = QTableWidgetItem(text)
            if data is not None:
                item.setData(Qt.ItemDataRole.UserRole, data[r])
            table.setItem(r, c, item)


def _size(row: dict[str, Any]) -> str:
    """The size the task was asked for (8k), as the report buckets it, and its measured tokens."""
    asked = report._size_bucket(row)
    measured = int(row.get("size_tokens") or 0)
    return format_size(asked) + ("" if asked == measured else f" ({measured:,})")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _cost(value: float | None, unknown: bool = False) -> str:
    if value is None:
        return "unknown" if unknown else "-"
    return fmt.dollars(value) + ("+?" if unknown else "")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


class SummaryTable(QWidget):
    """The table and, under it, the tasks of the clicked cell; `run_opened(run_id)` opens one in the Run view."""

    run_opened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.cell: tuple[str, str] | None = None
        self.summary = _table(SUMMARY_HEADERS)
        self.summary.cellClicked.connect(self.select_cell)
        self.tasks_label = QLabel("Click a row of the table to list its tasks.")
        self.tasks = _table(TASK_HEADERS)
        self.tasks.cellDoubleClicked.connect(lambda row, _col: self.open_task(row))
        self.tasks.itemSelectionChanged.connect(self._task_selected)
        self.open_button = QPushButton("Open run")
        self.open_button.setToolTip("Open the selected task's run in the Run view (or double-click the task)")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self.open_task(self.tasks.currentRow()))
        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.tasks_label)
        column.addWidget(self.tasks, 1)
        column.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.summary)
        split.addWidget(bottom)
        split.setSizes([220, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.lines = report.summary(rows)
        _fill(self.summary, [[s["method"], s["family"], f"{s['done']}/{s['tasks']}", _score(s["score"]),
                              str(s["run_errors"]), _cost(s["cost_mean"], s["cost_unknown"]),
                              _cost(s["cost_median"], s["cost_unknown"]),
                              "-" if s["tokens_mean"] is None else fmt.tokens(s["tokens_mean"]),
                              _seconds(s["time_mean_s"])] for s in self.lines])
        if self.cell is not None:
            self._show_tasks(*self.cell)

    def select_cell(self, row: int, _column: int = 0) -> None:
        if 0 <= row < len(self.lines):
            line = self.lines[row]
            self.cell = (line["method"], line["family"])
            self._show_tasks(*self.cell)

    def _show_tasks(self, method: str, family: str) -> None:
        chosen = [r for r in self.rows if report.method_label(r) == method and r["family"] == family]
        self.tasks_label.setText(f"{method} on {family}: {len(chosen)} tasks (double-click one to open its run)")
        _fill(self.tasks, [[r["task_id"], _size(r), r["status"],
                            "-" if r["score"] is None else f"{r['score']:.2f}", str(r["answer"] or "")[:80],
                            ", ".join(map(str, r["expected"]))[:80], _cost(r["cost_usd"], r["cost_unknown"]),
                            fmt.tokens((r["input_tokens"] or 0) + (r["output_tokens"] or 0)),
                            _seconds((r["duration_ms"] or 0.0) / 1000.0) if r["status"] == "done" else "-",
                            (r["run_id"] or "")[:12]] for r in chosen],
              [r["run_id"] for r in chosen])
        self._task_selected()

    def _task_selected(self) -> None:
        self.open_button.setEnabled(bool(self.run_id_at(self.tasks.currentRow())))

    def run_id_at(self, row: int) -> str | None:
        item = self.tasks.item(row, 0) if row >= 0 else None
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(value) if value else None

    def open_task(self, row: int) -> None:
        run_id = self.run_id_at(row)
        if run_id:
            self.run_opened.emit(run_id)


class FindingsTable(QTableWidget):
    """How many runs had each finding, per method and model."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(FINDING_HEADERS), parent)
        self.setHorizontalHeaderLabels(FINDING_HEADERS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_findings(self, findings: list[dict[str, Any]]) -> None:
        _fill(self, [[r["method"] + (f" [{r['config']}]" if r.get("config") else ""), str(r["model"]), r["kind"],
                      f"{r['runs']} of {r['of']}" if r.get("of") else str(r["runs"])] for r in findings])


class CompareTable(QTableWidget):
    """This bench (A) against another (B): score and cost per method x family, and the score's change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COMPARE_HEADERS), parent)
        self.setHorizontalHeaderLabels(COMPARE_HEADERS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.lines: list[dict[str, Any]] = []

    def show_compare(self, rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]) -> None:
        self.lines = report.compare(rows_a, rows_b)
        _fill(self, [[r["method"], r["family"], _score(r["score_a"]), _score(r["score_b"]),
                      "-" if r["score_delta"] is None else f"{r['score_delta']:+.1f}", _cost(r["cost_a"]),
                      _cost(r["cost_b"]), _seconds(r["time_a_s"]), _seconds(r["time_b_s"])] for r in self.lines])
