"""An unexpected error in any command is one line on stderr and exit 1; the traceback goes to the
error log, and to stderr only with --debug. Real subprocesses against a real (damaged) database file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.storage import Store

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RLM_STUDIO_HOME": str(home)}
    env.pop("RLM_STUDIO_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def broken_run(tmp_path) -> tuple[Path, str]:
    """A database in which one stored event's JSON was overwritten with garbage (a bad disk, say)."""
    from tests.support.sample_runs import sample_run

    home = tmp_path / "home"
    events = sample_run()
    with Store.open(home / "rlm_studio.db") as store:
        store.ingest_events(events)
    with sqlite3.connect(home / "rlm_studio.db") as conn:
        conn.execute("UPDATE events SET payload = '{not json' WHERE seq = 3")
    return home, events[0].run_id


def test_an_unexpected_error_is_one_line_and_the_traceback_is_logged(broken_run):
    home, run_id = broken_run
    out = cli("show", run_id, home=home)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("rlm-studio show: error: JSONDecodeError")
    assert "--debug" in line and str(home / "logs" / "errors.log") in line
    log = (home / "logs" / "errors.log").read_text()
    assert "Traceback (most recent call last)" in log and "JSONDecodeError" in log


def test_debug_prints_the_traceback(broken_run):
    home, run_id = broken_run
    out = cli("--debug", "export", run_id, home=home)
    assert out.returncode == 1
    assert "Traceback (most recent call last)" in out.stderr and "JSONDecodeError" in out.stderr
    out = cli("export", run_id, "--debug", home=home)      # also after the command
    assert "Traceback (most recent call last)" in out.stderr


def test_user_errors_stay_one_line_with_code_2(tmp_path):
    out = cli("show", "nosuchrun", home=tmp_path / "home")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "Traceback" not in out.stderr
