"""The new-run panel lists what a folder load skipped and why, and marks texts read in a guessed encoding."""

from __future__ import annotations


def test_the_panel_lists_skipped_files_and_guessed_encodings(window, qtbot, tmp_path):
    folder = tmp_path / "project"
    (folder / "venv").mkdir(parents=True)
    (folder / "venv" / "x.py").write_text("x = 1\n")
    (folder / "notes.txt").write_text("beta\n")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "old.txt").write_bytes("Grüße aus Köln, schöne Straße\n".encode("cp1252"))
    panel = window.new_run
    panel.load_folder(folder)
    qtbot.waitUntil(lambda: len(panel.documents) == 2 and not panel.loading, timeout=10000)
    message = panel.load_message.text()
    assert message.splitlines()[0] == "skipped 2 file(s) or folder(s): 1 excluded by default, 1 empty"
    assert "  venv/: excluded by default" in message and "empty.txt is empty." in message
    assert "note: old.txt: read as cp1252 (guessed" in message
    row = [d.name for d in panel.documents].index("old.txt")
    assert panel.doc_table.item(row, 1).text() == "text (cp1252)"
    assert "guessed" in panel.doc_table.item(row, 0).toolTip()
