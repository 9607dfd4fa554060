"""The Bench tab: set up a bench (suite, sizes, tasks, methods, models), run it with progress, ETA and running cost,
stop and resume it, read its results (table, charts, findings), compare it with another bench, export it, and
open any task's run in the Run view (`run_opened`, wired to the window's open-run path like the history's).

The window is the `host`: it has `store` (the open runs database, or None while it opens) and `model_settings()`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rlm_studio.bench.progress import BenchProgress

from . import formatting as fmt
from .bench_form import BenchForm
from .bench_job import BenchJob
from .bench_results import CompareTable, FindingsTable, SummaryTable

EXPORT_FILTER = "Markdown (*.md);;CSV (*.csv);;JSON (*.json);;PNG chart (*.png);;SVG chart (*.svg)"


def load_bench(db_path: Path, bench_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(bench, its task rows, its findings per method and model); run in a thread."""
    from rlm_studio.bench.store import BenchStore

    with BenchStore(db_path) as store:
        bench = store.get_bench(bench_id)
        return bench, store.tasks(bench["id"]), store.findings_by_method(bench["id"])


def list_benches(db_path: Path) -> list[dict[str, Any]]:
    from rlm_studio.bench.store import BenchStore

    with BenchStore(db_path) as store:
        return store.list_benches()


def export_bench(db_path: Path, bench_id: str, path: Path) -> None:
    """Write the report by the file's suffix: .md, .csv, .json (bench.report) or .png/.svg (bench.plot)."""
    from rlm_studio.bench.plot import plot_bench
    from rlm_studio.bench.report import export

    bench, rows, findings = load_bench(db_path, bench_id)
    suffix = path.suffix.lower()
    if suffix in (".png", ".svg"):
        plot_bench(bench, rows, path)
        return
    formats = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json"}
    if suffix not in formats:
        raise ValueError(f"cannot export to {path.name}: use .md, .csv, .json, .png or .svg")
    path.write_text(export(bench, rows, findings, formats[suffix]), encoding="utf-8")


def bench_title(bench: dict[str, Any]) -> str:
    settings = bench.get("settings") or {}
    model = (settings.get("settings") or {}).get("root_model") or ""
    name = bench.get("name") or model
    done, total = int(bench.get("done") or 0), int(bench.get("total") or 0)
    return f"{bench['id'][:10]}  {bench['suite']}  {name}  {done}/{total}  {bench['status']}"


def progress_text(p: BenchProgress) -> str:
    parts = [f"{p.finished} of {p.total} tasks", f"{len(p.running)} running"]
    if p.failed:
        parts.append(f"{p.failed} failed")
    parts.append("cost " + (fmt.dollars(p.cost_usd) + ("+?" if p.cost_unknown else "")))
    if p.mean_score is not None:
        parts.append(f"mean score {100.0 * p.mean_score:.1f}%")
    parts.append(f"elapsed {fmt.duration_ms(p.elapsed_s() * 1000.0)}")
    eta = p.eta_s()
    if eta is not None and p.finished < p.total:
        parts.append(f"ETA {fmt.duration_ms(eta * 1000.0)}")
    return " · ".join(parts)


class BenchView(QWidget):
    run_opened = Signal(str)        # a task's run id: open it in the Run view

    def __init__(self, host: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.job = BenchJob(self)
        self.job.started.connect(self._job_started)
        self.job.progressed.connect(self._job_progressed)
        self.job.ended.connect(self._job_ended)
        self.bench_id: str | None = None
        self.bench: dict[str, Any] | None = None
        self.rows: list[dict[str, Any]] = []
        self.benches: list[dict[str, Any]] = []
        self.db_override: Path | None = None
        self._loading: set[asyncio.Future[Any]] = set()
        self._models_copied = False

        self.form = BenchForm()
        self.start_button = QPushButton("Start bench")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the bench; finished tasks are kept and Resume runs the rest")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Run the tasks of the shown bench that are not done")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self.resume)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_label = QLabel("No bench running.")
        self.progress_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        setup = QGroupBox("New bench")
        setup.setMaximumWidth(460)
        setup_layout = QVBoxLayout(setup)
        setup_layout.addWidget(self.form)
        setup_layout.addLayout(buttons)
        setup_layout.addWidget(self.progress_bar)
        setup_layout.addWidget(self.progress_label)
        setup_layout.addWidget(self.message)
        setup_layout.addStretch(1)

        self.bench_picker = QComboBox()
        self.bench_picker.setMinimumContentsLength(22)
        self.bench_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.bench_picker.activated.connect(self._bench_picked)
        self.compare_picker = QComboBox()
        self.compare_picker.setMinimumContentsLength(14)
        self.compare_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare_picker.activated.connect(lambda _i: self.compare_with(self.compare_picker.currentData()))
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_benches)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the report as Markdown, CSV or JSON, or the charts as PNG/SVG")
        self.export_button.clicked.connect(self._export_dialog)
        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel("Bench"))
        picker_row.addWidget(self.bench_picker, 2)
        picker_row.addWidget(refresh)
        picker_row.addWidget(QLabel("Compare with"))
        picker_row.addWidget(self.compare_picker, 1)
        picker_row.addWidget(self.export_button)

        self.table = SummaryTable()
        self.table.run_opened.connect(self.run_opened)
        self.findings = FindingsTable()
        self.compare = CompareTable()
        self.results = QTabWidget()
        self.results.addTab(self.table, "Table")
        self.charts: Any = None                    # pyqtgraph loads when the Charts tab is first shown
        self._charts_page = QWidget()
        QVBoxLayout(self._charts_page).setContentsMargins(0, 0, 0, 0)
        self.results.addTab(self._charts_page, "Charts")
        self.results.addTab(self.findings, "Findings")
        self.results.addTab(self.compare, "Compare")
        self.results.currentChanged.connect(self._results_tab_changed)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(picker_row)
        right_layout.addWidget(self.results, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(setup)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._tick = QTimer(self)              # elapsed and ETA move between task ends
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_progress)
        self._reload = QTimer(self)            # results refresh at most a few times a second while running
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.reload)

    # -- where the benches are -------------------------------------------------------------------
    def db_path(self) -> Path | None:
        if self.db_override is not None:
            return self.db_override
        store = getattr(self.host, "store", None)
        path = getattr(store, "path", None)
        return Path(path) if path else None

    def _model_settings(self) -> dict[str, Any]:
        settings = self.host.model_settings() if self.host is not None and hasattr(self.host, "model_settings") \
            else None
        if settings is None:
            return {}
        return {k: v for k, v in dataclasses.asdict(settings).items() if v and isinstance(v, dict)}

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._copy_models()
        if not self.benches:
            self.refresh_benches()

    def _copy_models(self) -> None:
        """The first time the tab shows: the New run panel's model choices and chosen models."""
        panel = getattr(self.host, "new_run", None)
        if panel is None or self._models_copied:
            return
        self._models_copied = True
        for mine, theirs in ((self.form.root_model, panel.root_model), (self.form.sub_model, panel.sub_model)):
            pairs = [(theirs.itemText(i), str(theirs.itemData(i, Qt.ItemDataRole.ToolTipRole) or ""))
                     for i in range(theirs.count()) if theirs.itemText(i) and not theirs.itemText(i).startswith("(")]
            mine.set_choices(pairs)
            mine.set_spec(theirs.spec())

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> None:
        path = self.db_path()
        if path is None:
            self._say("The database is not open yet; benches are stored in it.", error=True)
            return
        if self.job.running:
            return
        try:
            plan = self.form.plan(self._model_settings())
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        self._say("Preparing the tasks…")
        self._set_running(True)
        self.job.executor_name, self.job.address = self.form.executor_choice()
        self.job.start_new(path, plan)

    def resume(self) -> None:
        path = self.db_path()
        if path is None or self.bench_id is None or self.job.running:
            return
        self._say(f"Resuming bench {self.bench_id[:10]}…")
        self._set_running(True)
        self.job.executor_name, self.job.address = self.form.executor_choice()
        self.job.resume(path, self.bench_id)

    def stop(self) -> None:
        if self.job.running:
            self._say("Stopping… finished tasks are kept.")
            self.job.stop()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and self._resumable())
        self.form.setEnabled(not running)
        self.bench_picker.setEnabled(not running)     # the running bench stays the one shown
        if running:
            self._tick.start()
        else:
            self._tick.stop()

    def _resumable(self) -> bool:
        return self.bench is not None and self.bench.get("status") != "completed" and bool(self.bench_id)

    def _job_started(self, bench_id: str) -> None:
        self.bench_id = bench_id
        self._say(f"Bench {bench_id[:10]} running.")
        self.refresh_benches()

    def _job_progressed(self, progress: BenchProgress) -> None:
        self._show_progress()
        if not self._reload.isActive():
            self._reload.start()

    def _show_progress(self) -> None:
        p = self.job.progress
        if p is None:
            return
        self.progress_bar.setRange(0, max(1, p.total))
        self.progress_bar.setValue(p.finished)
        self.progress_label.setText(progress_text(p))

    def _job_ended(self, bench_id: str, status: str) -> None:
        self._show_progress()
        self._set_running(False)
        if status.startswith("failed"):
            self._say("Could not run the bench: " + status.split(": ", 1)[-1], error=True)
        elif status == "completed":
            self._say(f"Bench {bench_id[:10]} completed.")
        else:
            reason = status.split(": ", 1)[1] if ": " in status else ""
            self._say(f"Bench {bench_id[:10]} stopped" + (f": {reason}" if reason else "") +
                      ". Finished tasks are kept; Resume runs the rest.")
        if bench_id:
            self.bench_id = bench_id
            self.reload()
        self.refresh_benches()
        history = getattr(self.host, "history", None)
        if history is not None and hasattr(history, "refresh"):
            history.refresh()                          # the bench's runs are stored runs: list them

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color:#c62828" if error else "")
        self.message.setText(text)

    # -- showing a bench -----------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._loading.add(task)
        task.add_done_callback(self._loading.discard)

    def refresh_benches(self) -> None:
        path = self.db_path()
        if path is not None:
            self._spawn(self._refresh_benches(path))

    async def _refresh_benches(self, path: Path) -> None:
        try:
            benches = await asyncio.to_thread(list_benches, path)
        except Exception as exc:
            self._say(f"Could not read the benches: {exc}", error=True)
            return
        self.benches = benches
        for picker in (self.bench_picker, self.compare_picker):
            current = picker.currentData()
            picker.blockSignals(True)
            picker.clear()
            if picker is self.compare_picker:
                picker.addItem("(none)", None)
            for bench in benches:
                picker.addItem(bench_title(bench), bench["id"])
            found = picker.findData(current)
            picker.setCurrentIndex(max(0, found))
            picker.blockSignals(False)
        if self.bench_id is None and benches:
            self.show_bench(str(benches[0]["id"]))
        elif self.bench_id is not None:
            self.bench_picker.setCurrentIndex(max(0, self.bench_picker.findData(self.bench_id)))

    def _bench_picked(self, _index: int) -> None:
        bench_id = self.bench_picker.currentData()
        if bench_id and not self.job.running:
            self.show_bench(str(bench_id))

    def show_bench(self, bench_id: str) -> None:
        self.bench_id = bench_id
        self.table.cell = None
        self.reload()

    def reload(self) -> None:
        path = self.db_path()
        if path is not None and self.bench_id:
            self._spawn(self._reload_bench(path, self.bench_id))

    async def _reload_bench(self, path: Path, bench_id: str) -> None:
        try:
            bench, rows, findings = await asyncio.to_thread(load_bench, path, bench_id)
        except Exception as exc:
            self._say(f"Could not read bench {bench_id[:10]}: {exc}", error=True)
            return
        if bench_id != self.bench_id:
            return
        self.bench, self.rows = bench, rows
        self.table.show_rows(rows)
        self.findings.show_findings(findings)
        if self.charts is not None:
            self.charts.show_rows(rows)
        self.resume_button.setEnabled(not self.job.running and self._resumable())
        compare_id = self.compare_picker.currentData()
        if compare_id:
            await self._compare(path, str(compare_id))

    def _results_tab_changed(self, _index: int) -> None:
        if self.results.currentWidget() is self._charts_page and self.charts is None:
            from .bench_charts import BenchCharts

            self.charts = BenchCharts()
            layout = self._charts_page.layout()
            assert layout is not None
            layout.addWidget(self.charts)
            self.charts.show_rows(self.rows)

    def compare_with(self, bench_id: str | None) -> None:
        path = self.db_path()
        if path is None:
            return
        if not bench_id:
            self.compare.show_compare(self.rows, [])
            return
        self.compare_picker.setCurrentIndex(max(0, self.compare_picker.findData(bench_id)))
        self._spawn(self._compare(path, bench_id))

    async def _compare(self, path: Path, other_id: str) -> None:
        try:
            _bench, other_rows, _findings = await asyncio.to_thread(load_bench, path, other_id)
        except Exception as exc:
            self._say(f"Could not read bench {other_id[:10]}: {exc}", error=True)
            return
        self.compare.show_compare(self.rows, other_rows)
        self.results.setCurrentWidget(self.compare)

    # -- export ----------------------------------------------------------------------------------------
    def _export_dialog(self) -> None:
        if not self.bench_id:
            self._say("Choose a bench to export.", error=True)
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export the bench", f"bench-{self.bench_id[:10]}.md",
                                              EXPORT_FILTER)
        if name:
            self._spawn(self.export_to(Path(name)))

    async def export_to(self, path: Path) -> bool:
        db = self.db_path()
        if db is None or not self.bench_id:
            return False
        try:
            await asyncio.to_thread(export_bench, db, self.bench_id, path)
        except (OSError, ValueError) as exc:
            self._say(f"Could not export: {getattr(exc, 'strerror', None) or exc}", error=True)
            return False
        self._say(f"Exported to {path}.")
        return True
