"""Settings (JSON file, keyring-less keys) and the history sidebar (search, rename, tag, note, delete)."""

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from rlm_studio.ui.app_settings import AppSettings, load_settings, save_settings, settings_path
from rlm_studio.ui.settings_dialog import SettingsDialog, keyring_status
from tests.ui.synthetic_events import synthetic_run
from tests.ui.ui_helpers import wait_on_loop


def test_settings_round_trip_in_rlm_studio_home_without_keys(app_home):
    settings = AppSettings(root_model="openai/gpt-5-mini", max_depth=2,
                           price_overrides={"openai/gpt-5-mini": {"input": 0.25, "output": 2.0}})
    path = save_settings(settings)
    assert path == app_home / "settings.json"
    loaded, warning = load_settings()
    assert warning is None and loaded == settings
    text = path.read_text()
    assert "key" not in json.loads(text) and "sk-" not in text


def test_a_broken_settings_file_falls_back_to_defaults_with_a_warning(app_home):
    settings_path().write_text("{not json")
    loaded, warning = load_settings()
    assert loaded == AppSettings() and "settings.json" in warning


def test_settings_dialog_says_there_is_no_keyring_and_never_stores_keys(qtbot, app_home, monkeypatch):
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())  # what this machine has (no secret service), whatever ran before
    try:
        _check_no_keyring_dialog(qtbot, app_home, monkeypatch)
    finally:
        keyring.set_keyring(previous)


def _check_no_keyring_dialog(qtbot, app_home, monkeypatch):
    usable, _ = keyring_status()
    assert not usable
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    dialog.key_provider.setCurrentText("openai")
    dialog.key_value.setText("sk-test-1234567890abcdef")
    dialog.save_key()
    message = dialog.key_message.text()
    assert "no OS keyring" in message and "OPENAI_API_KEY" in message
    assert dialog.key_value.text() == ""  # the key does not linger in the widget
    assert not list(app_home.glob("*")) or "sk-test" not in "".join(p.read_text() for p in app_home.glob("*.json"))


def test_settings_dialog_edits_prices_and_refuses_bad_ones(qtbot, app_home):
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    dialog._add_price_row("my-model", 1.5, 3)
    dialog.root_model.setText("script:demo.json")
    result = dialog.result_settings()
    assert result.price_overrides == {"my-model": {"input": 1.5, "output": 3.0}}
    assert result.root_model == "script:demo.json"
    dialog.price_table.item(0, 1).setText("cheap")
    with pytest.raises(ValueError, match="my-model"):
        dialog.result_settings()


def _store_runs(window, count=3):
    for i in range(count):
        events = synthetic_run(iterations=1, subcalls_per_cell=1, child_every=0, run_id=f"run{i}")
        events[0].question = f"Question number {i} about penguins" if i == 1 else f"Question number {i}"
        window.store.ingest_events(events)
    window.history.refresh()


def test_history_search_rename_tag_note_delete(window, qtbot, qloop, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    _store_runs(window)
    history = window.history
    assert history.runs.topLevelItemCount() == 3
    history.search.setText("penguins")
    history.refresh()
    assert history.runs.topLevelItemCount() == 1
    history.select_run("run1")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Penguin census", True)))
    history.rename_selected()
    assert window.store.get_run("run1")["name"] == "Penguin census"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("birds, antarctic", True)))
    history.select_run("run1")
    history.tag_selected()
    assert sorted(window.store.get_run("run1")["tags"]) == ["antarctic", "birds"]
    monkeypatch.setattr(QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: ("check again", True)))
    history.select_run("run1")
    history.note_selected()
    assert window.store.get_run("run1")["note"] == "check again"
    history.search.setText("")
    history.tag.setText("birds")
    history.refresh()
    assert history.runs.topLevelItemCount() == 1
    history.tag.setText("")
    history.refresh()
    # opening a run from the history shows it in the run view
    history.select_run("run2")
    history._open(history.runs.currentItem())  # read on a worker thread
    wait_on_loop(qloop, lambda: window.current_run_id == "run2")
    assert window.run_view.index.root_started.question == "Question number 2"
    # delete asks first; "No" keeps the run
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    history.select_run("run0")
    history.delete_selected()
    assert window.store.run_exists("run0")
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    history.select_run("run0")
    history.delete_selected()
    assert not window.store.run_exists("run0")
    assert history.runs.topLevelItemCount() == 2


def test_the_since_filter_shows_an_iso_date(window):
    from datetime import date, timedelta

    # the format `runs --since` takes, whatever the locale (the C locale showed '24 11 2026')
    assert window.history.since.text() == (date.today() - timedelta(days=7)).isoformat()
