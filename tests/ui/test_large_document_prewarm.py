"""The app starts a lone huge document's sandbox worker when the load ends (sandbox.prewarm), so Run finds
`context` decoded: the run takes that worker, the next one is started when the run ends, and removing the
document (or closing the window) closes it. Real loads, real bwrap workers, the qasync loop as the app runs it."""

import asyncio

import pytest
from PySide6.QtCore import QItemSelectionModel

from rlm_studio.sandbox import file_context as file_context_module
from rlm_studio.sandbox import prewarm
from tests.sandbox.helpers import worker_exited
from tests.ui.ui_helpers import repl, run_coro, write_script


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setenv("RLM_STUDIO_LARGE_DOCUMENT_BYTES", "100000")
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 32 * 1024)


def _text(lines):
    return "".join(f"Record {i:06d}: inspector Chloé signed — ok ✓\n" for i in range(lines))


async def _ready():
    """The held worker, once it has started (it decodes the context with no run asking for it)."""
    assert prewarm.held() == 1
    return await prewarm._held[0].task


def test_the_loaded_documents_worker_runs_the_first_cell_and_the_next_one_waits_for_the_next_run(
        window, qloop, tmp_path, app_home, small_threshold):
    text = _text(8000)
    path = tmp_path / "logbook.txt"
    path.write_text(text, encoding="utf-8")
    small = tmp_path / "small.txt"
    small.write_text("a small note\n", encoding="utf-8")
    panel = window.new_run
    root = write_script(tmp_path, "root", responses=[repl("print(len(context), context.splitlines()[777])"),
                                                     repl("FINAL('done')", "Done.")])
    panel.question.setPlainText("Which is record 777?")
    panel.root_model.set_spec(root)

    async def go():
        panel.load_paths([path])
        while panel.loading:
            await asyncio.sleep(0.01)
        assert hasattr(panel.documents[0], "context")
        first = await _ready()
        result = await window.run_once()
        assert result is not None and result.status == "completed", result
        cells = [e for e in window.run_model.events if e.kind == "cell_finished"]
        assert cells[0].stdout.split("\n")[0] == f"{len(text)} {text.splitlines()[777]}"
        assert await worker_exited(first)                 # the run took it (and closed it when it ended) ...
        second = await _ready()                   # ... and the next question's worker is starting already
        assert second is not first and second._alive()
        panel.load_paths([small])                 # two documents: one context file made at Run, not this one
        while panel.loading:
            await asyncio.sleep(0.01)
        assert len(panel.documents) == 2 and prewarm.held() == 0 and await worker_exited(second)
        # select the small one through the selection model: selectRow reads the keyboard modifiers, which an
        # earlier test's keyClick(..., Ctrl | Shift) leaves set in QGuiApplication (then it selects rows 0..1)
        table = panel.doc_table
        table.selectionModel().select(table.model().index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                      | QItemSelectionModel.SelectionFlag.Rows)
        panel.remove_selected()                   # the huge one alone again
        assert [d.name for d in panel.documents] == [path.name]
        return await _ready()

    third = run_coro(qloop, go(), timeout=120)
    window.close()                                # closing the window closes it too
    assert prewarm.held() == 0 and run_coro(qloop, worker_exited(third))
