"""Bad input and faults: the window stays usable and says what went wrong in plain words."""

import sqlite3
import subprocess
import sys

import pytest

from tests.ui.ui_helpers import Heartbeat, run_coro, sales_document, sales_scripts, write_script


def test_binary_file_is_refused_with_its_name(window, qtbot, tmp_path):
    binary = tmp_path / "image.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    window.new_run.load_paths([binary])
    qtbot.waitUntil(lambda: window.new_run.load_message.text() != "", timeout=5000)
    message = window.new_run.load_message.text()
    assert "image.bin" in message
    assert window.new_run.documents == []


def test_empty_question_is_refused_before_anything_runs(window, qloop, tmp_path):
    window.new_run.add_pasted("Region 0: sale\n")
    window.new_run.question.setPlainText("   ")
    assert run_coro(qloop, window.run_once()) is None
    assert "Write a question first" in window.new_run.run_message.text()
    assert window.run_view.index.root_started is None
    assert window.store.list_runs() == []


def test_no_documents_is_refused(window, qloop):
    window.new_run.question.setPlainText("What?")
    assert run_coro(qloop, window.run_once()) is None
    assert "at least one document" in window.new_run.run_message.text()


def test_missing_script_model_is_named(window, qloop, tmp_path):
    window.new_run.add_pasted("Region 0: sale\n")
    window.new_run.question.setPlainText("How many?")
    window.new_run.root_model.set_spec(f"script:{tmp_path / 'nope.json'}")
    assert run_coro(qloop, window.run_once()) is None
    assert "nope.json" in window.new_run.run_message.text() and "not found" in window.new_run.run_message.text()


@pytest.mark.slow
def test_unknown_model_is_explained_and_the_window_keeps_responding(window, qloop):
    """litellm (seconds to import) is loaded on a worker thread; the UI thread keeps ticking."""
    window.new_run.add_pasted("Region 0: sale\n")
    window.new_run.question.setPlainText("How many?")
    window.new_run.root_model.set_spec("no-such-model-xyz")
    from rlm_studio.ui import lazy_litellm

    importing = not lazy_litellm.loaded()  # an earlier test may have loaded it already
    heartbeat = Heartbeat()
    assert run_coro(qloop, window.run_once(), timeout=60) is None
    gaps = heartbeat.stop()
    message = window.new_run.run_message.text()
    assert "Unknown model" in message and "no-such-model-xyz" in message
    if importing:  # seconds of importing litellm happened meanwhile, off the UI thread
        assert len(gaps) > 10 and max(gaps) < 1.0, f"the UI thread stalled {max(gaps):.2f} s"


def test_failed_model_call_is_shown_and_recorded(window, qloop, tmp_path):
    root = write_script(tmp_path, "root", rules=[{"match": ".", "content": "", "error": "auth"}])
    window.new_run.add_pasted("Region 0: sale\n")
    window.new_run.question.setPlainText("How many?")
    window.new_run.root_model.set_spec(root)
    result = run_coro(qloop, window.run_once())
    assert result is not None and result.status == "failed"
    header = window.run_view.header.answer.text()
    assert "Failed" in header and "scripted failure" in header
    stored = window.store.get_run(result.run_id)
    assert stored["status"] == "failed"


def _hold_lock(db, seconds: float) -> subprocess.Popen:
    """A real second process that holds an exclusive lock on the database file."""
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_database_at_start_is_explained_and_runs_still_work(qtbot, qloop, app_home, tmp_path, monkeypatch):
    from rlm_studio.storage import connection
    from rlm_studio.ui.main_window import MainWindow

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 300)
    db = tmp_path / "locked.db"
    sqlite3.connect(db).execute("CREATE TABLE other (x)").connection.close()  # a rollback-journal file
    holder = _hold_lock(db, 30)
    try:
        win = MainWindow(str(db), discover_models=False, preload_models=False)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.store_ready, timeout=10000)
        assert win.store is None
        assert "locked" in win.history.message.text() and "History is unavailable" in win.history.message.text()
        # the app still runs (in memory) with the database locked
        win.new_run.add_pasted(sales_document(tmp_path).read_text())
        root, sub = sales_scripts(tmp_path)
        win.new_run.question.setPlainText("How many sales in total?")
        win.new_run.root_model.set_spec(root)
        win.new_run.sub_model.set_spec(sub)
        result = run_coro(qloop, win.run_once())
        assert result.status == "completed" and result.answer == "21 sales"
        win.close()
    finally:
        holder.kill()
        holder.wait()


def test_database_locked_during_a_run_keeps_the_events(window, qloop, tmp_path, monkeypatch):
    from rlm_studio.storage import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 300)
    holder = _hold_lock(window.store.path, 30)
    try:
        window.new_run.add_pasted(sales_document(tmp_path).read_text())
        root, sub = sales_scripts(tmp_path)
        window.new_run.question.setPlainText("How many sales in total?")
        window.new_run.root_model.set_spec(root)
        window.new_run.sub_model.set_spec(sub)
        problems = []
        window.controller.storage_problem.connect(problems.append)
        result = run_coro(qloop, window.run_once())
    finally:
        holder.kill()
        holder.wait()
    assert result.status == "completed"
    assert problems and "locked" in problems[0]
    assert "locked" in window.statusBar().currentMessage()
    assert window.run_view.header.figures["subcalls"] == 6  # everything is still in the window
    # the warning stays in the header after the run ended and after further refreshes
    header = window.run_view.header
    warning = f"⚠ {problems[0]} The run goes on; its events stay in this window."
    assert warning in header.plain_text()
    window.run_view.refresh_header()
    window.run_model.set_isolation("bwrap")      # any change to the run redraws the header
    assert warning in header.plain_text() and "Sub-calls 6" in header.plain_text()
    # another run starts: its header has no warning from this one
    window.new_run.question.setPlainText("Again?")
    again = run_coro(qloop, window.run_once())
    assert again.status == "completed" and "locked" not in header.plain_text()


def test_a_crashed_repl_worker_is_shown_and_the_run_goes_on(window, qloop, tmp_path):
    from tests.ui.ui_helpers import repl

    root = write_script(tmp_path, "root", responses=[
        repl("x = 41\nimport os\nos._exit(3)"),
        repl("y = 1\nprint('still here')"),
        repl("FINAL('recovered')", "Done."),
    ])
    window.new_run.add_pasted("Region 0: sale\n")
    window.new_run.question.setPlainText("Does it survive?")
    window.new_run.root_model.set_spec(root)
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result.status == "completed" and result.answer == "recovered"
    view = window.run_view
    cells = [e for e in view.index.events if e.kind == "cell_finished"]
    assert cells[0].crashed and not cells[1].crashed
    crashed_cell = cells[0].node_id
    assert view.model.tree.node(crashed_cell).status == "crashed"
    view.select_node(crashed_cell)
    assert "REPL crashed" in view.detail.toPlainText()


def test_test_connection_reports_success_and_failure(qloop, tmp_path):
    from rlm_studio.ui.run_controller import test_connection

    good = write_script(tmp_path, "good", responses=["OK"])
    ok, message = run_coro(qloop, test_connection(good))
    assert ok and "answered" in message and "OK" in message
    bad = write_script(tmp_path, "bad", rules=[{"match": ".", "content": "", "error": "auth"}])
    ok, message = run_coro(qloop, test_connection(bad))
    assert not ok and "API key" in message


def test_closing_during_a_run_stops_it_and_keeps_it_stored(window, qloop, tmp_path):
    import asyncio

    window.new_run.add_pasted(sales_document(tmp_path, parts=12).read_text())
    # each sub-call takes 1.5 s (12 of them, 2 at a time): the run is still in its sub-calls when the window closes
    root, sub = sales_scripts(tmp_path, parts=12, delay_ms=1500)
    window.new_run.question.setPlainText("How many sales in total?")
    window.new_run.root_model.set_spec(root)
    window.new_run.sub_model.set_spec(sub)
    window.app_settings.batch_concurrency = 2
    store = window.store

    async def run_and_close():
        task = asyncio.ensure_future(window.run_once())
        while window.current_run_id is None or not any(
                e.kind == "subcall_started" for e in window.run_view.index.events):
            await asyncio.sleep(0.05)
        window.close()
        assert window.isVisible()  # not yet: the run is stopping first
        result = await task
        for _ in range(40):
            if not window.isVisible():
                break
            await asyncio.sleep(0.05)
        return result

    result = run_coro(qloop, run_and_close(), timeout=60)
    assert result.status == "cancelled"
    assert not window.isVisible()
    from rlm_studio.storage import Store

    with Store.open(store.path) as reopened:
        assert reopened.get_run(result.run_id)["status"] == "cancelled"
