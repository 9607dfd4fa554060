"""`--smoke-test` and the status bar's sandbox level from a source install (the frozen tests run the same)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .helpers import app_env, smoke_report

ROOT = Path(__file__).resolve().parents[2]


def smoke(home: Path) -> dict[str, object]:
    env = app_env(home, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "rlm_studio", "--smoke-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return smoke_report(done)


def test_first_start_creates_the_data_folder_and_shows_the_sandbox(tmp_path: Path) -> None:
    report = smoke(tmp_path)
    assert report["ready"] and report["title"] == "RLM Studio"
    assert report["db_path"] == str(tmp_path / ".local/share/rlm-studio/rlm_studio.db")
    assert os.path.isfile(str(report["db_path"]))
    assert report["sandbox"] in ("Sandbox: bubblewrap (no network, private filesystem)",
                                 "⚠ Sandbox: plain process (not isolated)")
    assert report["example_offered"] and str(report["example"]).endswith("station_logbook.txt")


def test_process_isolation_chosen_in_settings_is_shown_as_not_isolated(tmp_path: Path) -> None:
    settings = tmp_path / ".config" / "rlm-studio" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"isolation": "process"}), encoding="utf-8")
    report = smoke(tmp_path)
    assert report["sandbox"] == "⚠ Sandbox: plain process (not isolated)"
    assert "plain process" in str(report["sandbox_warning"])  # the sandbox's own warning, as on every run
