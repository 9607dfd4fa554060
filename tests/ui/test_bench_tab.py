"""The app's Bench tab with real widgets offscreen, the real sandbox and the real database: a scripted-oracle S-NIAH
bench run from the tab scores 100%, a clicked cell lists its tasks and one opens in the Run view; Stop keeps the
finished tasks and Resume runs the rest; two benches compare; failure modes are counted per method and model; the
report exports; bad input is one line."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from PySide6.QtCore import Qt

from rlm_studio.bench.store import BenchStore
from rlm_studio.storage import Store
from tests.bench.scripts import ORACLE_CODE, write_script
from tests.ui.ui_helpers import run_coro

LONG = 240.0


def _setup(view, *, model: str, sizes: str = "2k,4k", tasks: int = 2, methods=("rlm",), concurrency: int = 2) -> None:
    view.form.suite.setCurrentText("sniah")
    view.form.sizes.setText(sizes)
    view.form.tasks.setValue(tasks)
    view.form.set_methods(list(methods))
    view.form.set_models(model)
    view.form.concurrency.setValue(concurrency)


def _on_loop(qloop, scenario) -> None:
    """A test's whole scenario runs as one coroutine on the qasync loop, as the app runs: Qt events handled while
    the loop is not running would resume the bench's tasks off the loop."""
    run_coro(qloop, scenario(), timeout=LONG * 2)


async def _until(predicate, timeout: float = LONG) -> None:
    await asyncio.wait_for(_poll(predicate), timeout)


async def _poll(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.02)


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


async def _run_to_end(qtbot, view) -> None:
    _click(qtbot, view.start_button)
    await _until(lambda: view.job.running, 30)
    await _until(lambda: not view.job.running)
    await _until(lambda: bool(view.rows) and all(r["status"] == "done" for r in view.rows)
                 and view.bench_id == view.job.bench_id, 30)


def _cell(table, row: int, column: int) -> str:
    return table.item(row, column).text()


def _click_cell(qtbot, table, row: int, column: int, double: bool = False) -> None:
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if double:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_an_oracle_bench_from_the_tab_scores_100_and_a_task_opens_in_the_run_view(qtbot, qloop, window, tmp_path):
    view = window.bench_view
    window.tabs.setCurrentWidget(view)
    _setup(view, model=write_script(tmp_path, "oracle", ORACLE_CODE))

    async def scenario() -> None:
        await _run_to_end(qtbot, view)
        assert "completed" in view.message.text()
        assert view.progress_bar.value() == view.progress_bar.maximum() == 4
        assert "4 of 4 tasks" in view.progress_label.text() and "mean score 100.0%" in view.progress_label.text()
        summary = view.table.summary
        assert summary.rowCount() == 1
        assert [_cell(summary, 0, c) for c in range(4)] == ["rlm", "sniah", "4/4", "100.0%"]

        _click_cell(qtbot, summary, 0, 3)
        tasks = view.table.tasks
        assert tasks.rowCount() == 4 and "rlm on sniah: 4 tasks" in view.table.tasks_label.text()
        assert {_cell(tasks, r, 1).split()[0] for r in range(4)} == {"2k", "4k"}
        assert all(_cell(tasks, r, 3) == "1.00" and _cell(tasks, r, 4) == _cell(tasks, r, 5) for r in range(4))

        run_id = view.table.run_id_at(1)
        _click_cell(qtbot, tasks, 1, 0, double=True)
        await _until(lambda: window.current_run_id == run_id, 30)
        assert window.tabs.currentWidget() is window.run_view
        assert window.run_model.root_started is not None
        row = next(r for r in view.rows if r["run_id"] == run_id)
        assert window.store.get_run(run_id)["answer"] == row["expected"][0]

        window.tabs.setCurrentWidget(view)
        view.results.setCurrentWidget(view._charts_page)            # the charts: 100% at both sizes
        assert view.charts is not None
        assert view.charts.series == {"rlm / sniah": [(2048, 100.0), (4096, 100.0)]}

    _on_loop(qloop, scenario)


def test_stop_keeps_finished_tasks_and_resume_runs_the_rest(qtbot, qloop, window, tmp_path):
    view = window.bench_view
    window.tabs.setCurrentWidget(view)
    _setup(view, model=write_script(tmp_path, "slow", ORACLE_CODE, delay_ms=300), sizes="2k", tasks=6,
           concurrency=1)

    async def scenario() -> None:
        _click(qtbot, view.start_button)
        await _until(lambda: view.job.progress is not None and view.job.progress.done >= 2)
        assert view.stop_button.isEnabled() and not view.start_button.isEnabled()
        _click(qtbot, view.stop_button)
        await _until(lambda: not view.job.running, 60)
        await _until(lambda: view.bench is not None and view.bench["status"] == "stopped", 30)
        assert "Resume runs the rest" in view.message.text()
        with BenchStore(window.store.path) as store:
            done_before = store.tasks(view.bench_id, status="done")
        assert 2 <= len(done_before) < 6
        assert view.resume_button.isEnabled()

        _click(qtbot, view.resume_button)
        await _until(lambda: view.job.running, 30)
        await _until(lambda: not view.job.running)
        await _until(lambda: view.bench is not None and view.bench["status"] == "completed", 30)
        with BenchStore(window.store.path) as store:
            rows = store.tasks(view.bench_id)
        assert [r["status"] for r in rows] == ["done"] * 6 and all(r["score"] == 1.0 for r in rows)
        assert {r["run_id"] for r in done_before} <= {r["run_id"] for r in rows}   # not run again
        assert _cell(view.table.summary, 0, 2) == "6/6" and _cell(view.table.summary, 0, 3) == "100.0%"
        assert not view.resume_button.isEnabled()

    _on_loop(qloop, scenario)


def test_two_benches_compare_findings_are_counted_and_the_report_exports(qtbot, qloop, window, tmp_path):
    view = window.bench_view
    window.tabs.setCurrentWidget(view)
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    idle = write_script(tmp_path, "idle", "I am thinking about it.")   # no code: every rlm run is flagged

    async def scenario() -> None:
        _setup(view, model=oracle, sizes="2k", tasks=2, methods=("rlm", "base"))
        await _run_to_end(qtbot, view)
        first = view.bench_id
        _setup(view, model=idle, sizes="2k", tasks=2, methods=("rlm", "base"))
        await _run_to_end(qtbot, view)
        second = view.bench_id
        assert second != first
        lines = {(_cell(view.table.summary, r, 0), _cell(view.table.summary, r, 3))
                 for r in range(view.table.summary.rowCount())}
        assert lines == {("rlm", "0.0%"), ("base", "0.0%")}

        findings = view.findings
        flagged = {(_cell(findings, r, 0), _cell(findings, r, 2)): _cell(findings, r, 3)
                   for r in range(findings.rowCount())}
        assert flagged and all(method == "rlm" for method, _ in flagged)       # base runs are not checked
        assert set(flagged.values()) == {"2 of 2"}
        model_names = {_cell(findings, r, 1) for r in range(findings.rowCount())}
        assert len(model_names) == 1 and "idle" in model_names.pop()

        await _until(lambda: view.compare_picker.findData(first) >= 0, 30)
        view.compare_with(first)
        await _until(lambda: view.compare.rowCount() == 2, 30)
        assert view.results.currentWidget() is view.compare
        deltas = {_cell(view.compare, r, 0): tuple(_cell(view.compare, r, c) for c in (2, 3, 4)) for r in range(2)}
        assert deltas["rlm"] == ("0.0%", "100.0%", "+100.0")     # A: this bench (idle), B: the oracle's

        for suffix in ("md", "csv", "json", "png"):
            path = tmp_path / f"report.{suffix}"
            assert await view.export_to(path) and path.stat().st_size > 0, view.message.text()
        assert not await view.export_to(tmp_path / "report.xls")
        assert "use .md, .csv, .json, .png or .svg" in view.message.text()
        return second

    _on_loop(qloop, scenario)
    second = window.bench_view.bench_id
    assert "| rlm | sniah |" in (tmp_path / "report.md").read_text()
    exported = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert len(exported) == 4 and {r["method"] for r in exported} == {"rlm", "base"}
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["bench"]["id"] == second and len(data["tasks"]) == 4 and data["findings"]
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_line_and_stores_nothing(qtbot, qloop, window, tmp_path):
    view = window.bench_view
    window.tabs.setCurrentWidget(view)

    async def scenario() -> None:
        _setup(view, model=write_script(tmp_path, "oracle", ORACLE_CODE), sizes="8k,lots")
        _click(qtbot, view.start_button)
        assert "'lots' is not a size" in view.message.text() and "\n" not in view.message.text()
        _setup(view, model=f"script:{tmp_path / 'missing.json'}", sizes="2k")
        _click(qtbot, view.start_button)
        await _until(lambda: not view.job.running and "Could not run" in view.message.text(), 30)
        assert "\n" not in view.message.text() and "Traceback" not in view.message.text()
        _setup(view, model="script:x", methods=())
        _click(qtbot, view.start_button)
        assert view.message.text() == "choose at least one method"
        with BenchStore(window.store.path) as store:
            assert store.list_benches() == []
        assert view.start_button.isEnabled()

    _on_loop(qloop, scenario)


def test_the_tab_runs_a_bench_on_the_ray_executor(qtbot, qloop, window, tmp_path):
    ray = pytest.importorskip("ray")
    view = window.bench_view
    window.tabs.setCurrentWidget(view)
    _setup(view, model=write_script(tmp_path, "oracle", ORACLE_CODE), sizes="2k", tasks=2)
    view.form.executor.setCurrentText("ray")
    assert view.form.address.isEnabled() and view.form.executor_choice() == ("ray", None)

    async def scenario() -> None:
        await _run_to_end(qtbot, view)
        assert "completed" in view.message.text()
        assert [_cell(view.table.summary, 0, c) for c in range(4)] == ["rlm", "sniah", "2/2", "100.0%"]

    try:
        _on_loop(qloop, scenario)
    finally:
        ray.shutdown()
    with Store.open(window.store.path) as store:
        assert all(store.get_run(r["run_id"])["status"] == "completed" for r in view.rows)


@pytest.mark.parametrize("turns", [0, 5], ids=["before-it-began", "while-preparing"])
def test_stop_while_the_tasks_are_prepared_leaves_no_bench_running(qtbot, qloop, window, tmp_path, turns):
    view = window.bench_view
    window.tabs.setCurrentWidget(view)
    _setup(view, model=write_script(tmp_path, "oracle", ORACLE_CODE), sizes="256k", tasks=3)

    async def scenario() -> None:
        _click(qtbot, view.start_button)
        assert view.job.running and view.stop_button.isEnabled()
        for _ in range(turns):                          # let the job start (it is then waiting on a thread)
            await asyncio.sleep(0)
        _click(qtbot, view.stop_button)                # while the 256k-token tasks are generated or stored
        await _until(lambda: not view.job.running, 120)
        assert "stopped" in view.message.text() and view.start_button.isEnabled()

    _on_loop(qloop, scenario)
    with BenchStore(window.store.path) as store:
        benches = store.list_benches()
    assert all(b["status"] != "running" for b in benches)
    assert all(b["done"] in (0, None) for b in benches)
