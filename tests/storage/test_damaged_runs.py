"""A run whose events the database refuses is stored as 'damaged' (never 'completed'), with what was lost;
every event that can be stored is kept. The real writer thread and a real SQLite file."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from rlm_studio.cli.main import main
from rlm_studio.storage import StorageError, Store
from rlm_studio.storage.schema import LATEST_VERSION
from tests.support.sample_runs import sample_run


def with_refused_event(events: list) -> tuple[list, int]:
    """The run with one sub-call whose token count SQLite cannot hold (an INTEGER is 64 bits)."""
    index = next(i for i, e in enumerate(events) if e.kind == "subcall_finished")
    bad = dataclasses.replace(events[index], usage={"input_tokens": 10 ** 20, "output_tokens": 1})
    return events[:index] + [bad] + events[index + 1:], index


def test_a_refused_event_marks_the_run_damaged_and_keeps_the_others(db_path):
    events, bad_index = with_refused_event(sample_run())
    run_id = events[0].run_id
    with Store.open(db_path) as store:
        writer = store.writer()
        for event in events:
            writer.append(event)
        with pytest.raises(StorageError, match="marked damaged.*1 event.*subcall_finished"):
            writer.close()
        assert writer.damage[run_id].startswith("1 event(s) could not be stored")
        run = store.get_run(run_id)
        assert run["status"] == "damaged"
        assert "subcall_finished" in run["damage"] and "1 event(s)" in run["damage"]
        stored = [e.seq for e in store.load_events(run_id)]
        assert stored == [e.seq for i, e in enumerate(events) if i != bad_index and not e.ephemeral]
        assert [r["run_id"] for r in store.list_runs(status="damaged")] == [run_id]
        assert store.list_runs(status="completed") == []


def test_a_damaged_run_stays_damaged_when_it_finishes_in_a_later_batch(db_path):
    events, bad_index = with_refused_event(sample_run())
    run_id = events[0].run_id
    with Store.open(db_path) as store:
        writer = store.writer()
        for event in events[:bad_index + 1]:
            writer.append(event)
        with pytest.raises(StorageError, match="damaged"):
            writer.flush()
        assert store.get_run(run_id)["status"] == "damaged"
        for event in events[bad_index + 1:]:      # the run goes on, run_finished says "completed"
            writer.append(event)
        writer.close()                             # nothing else failed: no error now
        run = store.get_run(run_id)
        assert run["status"] == "damaged" and run["answer"] == "aurora borealis"
        assert run["iterations"] == 2


def test_runs_and_show_say_damaged(capsys, db_path):
    events, _ = with_refused_event(sample_run())
    with Store.open(db_path) as store:
        writer = store.writer()
        for event in events:
            writer.append(event)
        with pytest.raises(StorageError):
            writer.close()
    assert main(["runs", "--db", str(db_path), "--status", "damaged"]) == 0
    out = capsys.readouterr().out
    assert events[0].run_id in out and "damaged" in out
    assert main(["show", events[0].run_id, "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "damaged" in out.splitlines()[0]
    assert "Damaged:  1 event(s) could not be stored" in out


def test_the_damaged_status_migration_keeps_old_runs_and_the_status_check(tmp_path):
    import shutil

    from tests.support.files import FIXTURES

    copy = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "schema_v1.db", copy)
    with Store.open(copy) as store:
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        [(run_id, status)] = conn.execute("SELECT id, status FROM runs").fetchall()
        assert status == "completed"
        assert conn.execute("SELECT count(*) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0] > 0
        conn.execute("UPDATE runs SET status = 'damaged' WHERE id = ?", (run_id,))
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute("UPDATE runs SET status = 'nonsense' WHERE id = ?", (run_id,))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_migration_the_database_has_not_run_is_applied_whatever_its_version_says(db_path):
    """m003/m004 may land after m005: the migrations table, not user_version, decides what still runs."""
    with Store.open(db_path) as store:
        conn = store._conn
        conn.execute("ALTER TABLE runs DROP COLUMN damage")
        conn.execute("DELETE FROM migrations WHERE name = 'm005_damaged_runs'")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    with Store.open(db_path) as store:
        conn = store._conn
        assert "m005_damaged_runs" in [r[0] for r in conn.execute("SELECT name FROM migrations")]
        assert "damage" in [c.name for c in store.db["runs"].columns]


def test_a_run_the_database_cannot_fully_store_is_reported_damaged_by_the_cli(tmp_path):
    """A provider that reports an absurd token count (more than SQLite's 64-bit integers hold): the run
    itself completes, but its stored record is marked damaged, and `run --json` says so."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.models.fake_openai_server import FakeOpenAIServer

    root = tmp_path / "root.json"
    root.write_text(json.dumps({"responses": ["```repl\nprint(llm_query('hi'))\n```", "FINAL(done)"]}))
    doc = tmp_path / "doc.txt"
    doc.write_text("context " * 50)
    db = tmp_path / "runs.db"
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-damaged-0000", "RLM_STUDIO_HOME": str(tmp_path / "home")}
    with FakeOpenAIServer() as server:
        server.usage_for = lambda body: (10 ** 20, 5)
        out = subprocess.run([sys.executable, "-m", "rlm_studio", "run", "-c", str(doc), "-q", "q", "--root-model",
                              f"script:{root}", "--sub-model", "openai/fake-model", "--api-base", server.base_url,
                              "--db", str(db), "--json"], cwd=Path(__file__).resolve().parents[2], env=env,
                             capture_output=True, text=True, timeout=180)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "damaged" and "could not be stored" in summary["damage"]
    assert summary["answer"] == "done"                       # the run itself went fine
    assert "rlm-studio run: error: could not store events" in out.stderr
    with Store.open(db) as store:
        run = store.get_run(summary["run_id"])
        assert run["status"] == "damaged" and run["damage"] == summary["damage"]
        kinds = [e.kind for e in store.load_events(run["run_id"])]
        assert kinds[0] == "run_started" and "cell_started" in kinds     # what could be stored, was
