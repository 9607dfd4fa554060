"""The storage commands through `main([...])`, against a real database file."""

from __future__ import annotations

import io
import json
import sys

import pytest

from rlm_studio.cli.main import main
from rlm_studio.storage import Store
from tests.support.files import FIXTURES
from tests.support.sample_runs import sample_run


@pytest.fixture
def recorded(db_path):
    events = sample_run()
    with Store.open(db_path) as store:
        store.ingest_events(events)
        store.add_tag(events[0].run_id, "demo")
    return events[0].run_id


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_runs_lists_and_filters(capsys, db_path, recorded):
    code, out, _ = run_cli(capsys, "runs", "--db", str(db_path), "--json")
    assert code == 0
    [run] = json.loads(out)
    assert run["run_id"] == recorded and run["tags"] == ["demo"]
    _, out, _ = run_cli(capsys, "runs", "--db", str(db_path), "--status", "failed", "--json")
    assert json.loads(out) == []
    _, out, _ = run_cli(capsys, "runs", "--db", str(db_path), "--tag", "demo", "--model", "gpt-5")
    assert recorded in out and "Which project" in out


def test_show_json_has_the_run_and_every_node_with_figures(capsys, db_path, recorded):
    code, out, _ = run_cli(capsys, "show", recorded[:10], "--db", str(db_path), "--json")
    assert code == 0
    data = json.loads(out)
    run = data["run"]
    for key in ("run_id", "status", "answer", "iterations", "subcalls", "input_tokens", "output_tokens",
                "cost_usd", "max_depth_reached"):
        assert key in run
    assert (run["run_id"], run["status"], run["answer"]) == (recorded, "completed", "aurora borealis")
    assert len(data["nodes"]) == 16
    for node in data["nodes"]:
        for key in ("id", "parent_id", "kind", "depth", "model", "input_tokens", "output_tokens", "cost_usd",
                    "duration_ms", "status", "error", "subtree"):
            assert key in node
    root = data["nodes"][0]
    assert root["subtree"]["input_tokens"] == run["input_tokens"]
    code, out, _ = run_cli(capsys, "show", recorded, "--db", str(db_path))
    assert "Child run (depth 1)" in out and "ZeroDivisionError" in out and "320 in / 60 out" in out


def test_search_export_import_delete(capsys, db_path, recorded, tmp_path, monkeypatch):
    _, out, _ = run_cli(capsys, "search", "division", "--db", str(db_path), "--json")
    assert json.loads(out)[0]["field"] == "output"

    target = tmp_path / "out.jsonl"
    assert run_cli(capsys, "export", recorded, "-o", str(target), "--db", str(db_path))[0] == 0
    code, out, _ = run_cli(capsys, "export", recorded, "--format", "official", "--db", str(db_path))
    assert code == 0 and json.loads(out.splitlines()[0])["type"] == "metadata"

    other = tmp_path / "other.db"
    code, out, _ = run_cli(capsys, "import", str(target), str(FIXTURES / "rlm_old_final_format.jsonl"),
                           "--db", str(other), "--json")
    ids = json.loads(out)
    assert code == 0 and len(ids) == 3 and ids[0] == recorded
    code, out, _ = run_cli(capsys, "import", str(target), "--db", str(other))
    assert "already existed: stored under a new id" in out

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run_cli(capsys, "delete", recorded, "--db", str(db_path))
    assert code == 2 and "add --yes" in err
    code, out, _ = run_cli(capsys, "delete", recorded, "--db", str(db_path), "--yes")
    assert code == 0 and "deleted" in out
    _, out, _ = run_cli(capsys, "runs", "--db", str(db_path), "--json")
    assert json.loads(out) == []


def test_errors_are_one_line_with_exit_code_2(capsys, db_path, recorded, tmp_path):
    code, _, err = run_cli(capsys, "show", "nosuchrun", "--db", str(db_path))
    assert code == 2 and err.strip().count("\n") == 0 and "no run with id 'nosuchrun'" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "metadata"}\n{"type": "iteration", "iteration": 1, "response": 3, "code_blocks": []}\n')
    code, _, err = run_cli(capsys, "import", str(bad), "--db", str(db_path))
    assert code == 2 and "bad.jsonl, line 2: 'response' must be str, not int" in err
    newer = tmp_path / "newer.db"
    import sqlite3
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.execute("CREATE TABLE x (y)")
    conn.commit()
    conn.close()
    code, _, err = run_cli(capsys, "runs", "--db", str(newer))
    assert code == 2 and "newer version of RLM Studio" in err
