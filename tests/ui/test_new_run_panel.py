"""The new-run panel: first start, the example, loading in a worker with progress and Cancel, drops."""

import subprocess
import sys

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def test_first_start_selects_the_bundled_model_and_offers_the_example(window, qtbot):
    panel = window.new_run
    assert panel.root_model.spec() == "bundled"
    from rlm_studio.models.local_server import BUNDLED_MODEL_NOTE

    assert panel.model_note.text() == BUNDLED_MODEL_NOTE   # what the bundled model can and cannot do
    assert panel.example_button.isVisible() and "station_logbook.txt" in panel.example_button.text()
    panel.example_button.click()
    qtbot.waitUntil(lambda: len(panel.documents) == 1, timeout=10000)
    assert panel.documents[0].name == "station_logbook.txt"
    assert "serial number" in panel.question.toPlainText()
    assert "the root model's window (8,192 tokens)" in panel.total_label.text()
    assert panel.collect()[0] == panel.question.toPlainText().strip()  # ready to run at once


def test_a_large_file_loads_in_a_worker_and_cancel_stops_it(window, qtbot, tmp_path):
    big = tmp_path / "big.txt"
    line = ("All quiet at the station; the wind is from the south at 12 knots. " * 4 + "\n").encode()
    with big.open("wb") as f:
        for _ in range(80):
            f.write(line * 3000)  # ~65 MB
    panel = window.new_run
    progress = []
    panel.load_paths([big])
    assert panel.cancel_load_button.isVisible()

    def on_progress(done, total):
        progress.append((done, total))
        if len(progress) == 1 and done < total:
            panel.cancel_load_button.click()  # as a user would, while the file is still loading
    panel.job.progress.connect(on_progress)
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)
    assert "cancelled" in panel.load_message.text()
    assert panel.documents == []
    assert progress[-1][1] == big.stat().st_size
    # the window kept handling events while the file loaded: it showed progress and took the Cancel click
    # before the load was done (how long its longest stall is, is bench_ui.py's business)
    assert progress[0][0] < progress[0][1]


def test_dropping_files_loads_them(window, qtbot, tmp_path):
    doc = tmp_path / "dropped.md"
    doc.write_text("# Notes\nThe pump was replaced on Tuesday.\n")
    panel = window.new_run
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(doc))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(event)
    qtbot.waitUntil(lambda: len(panel.documents) == 1, timeout=5000)
    assert panel.doc_table.item(0, 0).text() == "dropped.md"


def test_folder_filters_apply(window, qtbot, tmp_path):
    folder = tmp_path / "project"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "a.md").write_text("alpha")
    (folder / "notes.txt").write_text("beta")
    (folder / "run.log").write_text("gamma")
    panel = window.new_run
    panel.exclude.setText("*.log")
    panel.load_folder(folder)
    qtbot.waitUntil(lambda: len(panel.documents) == 2, timeout=5000)
    assert sorted(d.name for d in panel.documents) == ["docs/a.md", "notes.txt"]
    panel.question.setPlainText("What?")
    _question, context, _settings = panel.collect()
    assert context == {"docs/a.md": "alpha", "notes.txt": "beta"}


def test_system_prompt_is_editable_and_restorable(window):
    panel = window.new_run
    assert panel.system_prompt_value() is None  # the default: recorded by the engine as its default
    panel.system_prompt.setPlainText("Answer in French.")
    assert panel.system_prompt_value() == "Answer in French."
    panel.restore_default_prompt()
    assert panel.system_prompt_value() is None


def test_the_prompt_box_shows_the_prompt_the_root_model_gets(window, tmp_path):
    from rlm_studio.engine.prompts import BUNDLED_SYSTEM_PROMPT, DEFAULT_SYSTEM_PROMPT, system_prompt_for
    from rlm_studio.models.registry import resolve_model
    from tests.ui.ui_helpers import write_script

    panel = window.new_run
    assert panel.root_model.spec() == "bundled"
    # what the engine sends when the box is left as it is: the bundled client's named prompt
    bundled_prompt = system_prompt_for(resolve_model("bundled"))
    assert panel.system_prompt.toPlainText() == bundled_prompt and panel.system_prompt_value() is None
    panel.root_model.set_spec(write_script(tmp_path, "root", responses=["FINAL(1)"]))
    assert panel.system_prompt.toPlainText() == DEFAULT_SYSTEM_PROMPT and panel.system_prompt_value() is None
    panel.system_prompt.setPlainText("Answer in French.")
    panel.root_model.set_spec("bundled")  # an edited prompt stays as written
    assert panel.system_prompt_value() == "Answer in French."
    panel.restore_default_prompt()
    assert panel.system_prompt.toPlainText() == bundled_prompt and panel.system_prompt_value() is None
    assert bundled_prompt in (BUNDLED_SYSTEM_PROMPT, DEFAULT_SYSTEM_PROMPT)


def test_app_command_is_registered_and_lazy():
    out = subprocess.run([sys.executable, "-c",
                          "import sys; from rlm_studio.cli.main import build_parser; "
                          "p = build_parser(); a = p.parse_args(['app', '--db', 'x.db']); "
                          "print(a.db, 'PySide6' in sys.modules, 'litellm' in sys.modules)"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["x.db", "False", "False"], out.stderr
