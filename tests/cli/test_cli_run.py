"""`rlm-studio run` as a user calls it: a real subprocess, real files, a real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env_extra: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def write_script(tmp_path: Path, **content) -> str:
    path = tmp_path / "root.json"
    path.write_text(json.dumps(content))
    return f"script:{path}"


@pytest.fixture
def doc(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("line\n" * 1000 + "The vault code is 7731.\n" + "line\n" * 1000)
    return path


def test_run_prints_the_answer_and_records_the_run(tmp_path, doc):
    model = write_script(tmp_path, responses=[
        "```repl\nimport re\ncode = re.search(r'vault code is (\\d+)', context).group(1)\n```",
        "FINAL_VAR(code)"])
    db = tmp_path / "runs.db"
    out = cli("run", "--context", str(doc), "--question", "What is the vault code?", "--root-model", model,
              "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7731"
    assert "iteration 1" in out.stderr  # progress is shown while it runs
    with sqlite3.connect(db) as conn:
        status, answer = conn.execute("select status, answer from runs").fetchone()
    assert (status, answer) == ("completed", "7731")


def test_progress_nests_a_child_runs_lines_under_it(tmp_path, doc):
    model = write_script(tmp_path, rules=[
        {"match": "CHILDQ", "content": "FINAL(7731)"},
        {"match": "child said", "content": "FINAL_VAR(r)"}],
        default="```repl\nr = rlm_query('CHILDQ the vault code? ' + context[-200:])\nprint('child said', r)\n```")
    db = tmp_path / "runs.db"
    out = cli("run", "--context", str(doc), "--question", "What is the vault code?", "--root-model", model,
              "--max-depth", "2", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7731"
    replayed = cli("replay", json.loads(cli("runs", "--json", "--db", str(db)).stdout)[0]["run_id"], "--db", str(db))
    child = [line for line in replayed.stdout.splitlines() if "run (depth 1)" in line]
    # the child's question ends with lines of the document: replay keeps it on one line
    assert len(child) == 1 and child[0].strip().startswith("run (depth 1): CHILDQ the vault code? line line")
    lines = [line.split("] ", 1)[1] for line in out.stderr.splitlines() if line.startswith("[")]
    assert [line.split(" (")[0] for line in lines] == [  # a cell's line ends with its time: "(67 ms)"
        "iteration 1", "  child run at depth 1", "    iteration 1", "  cell ok", "iteration 2"]


def test_run_json_has_the_documented_keys(tmp_path, doc):
    model = write_script(tmp_path, responses=["```repl\nn = len(context)\nFINAL(n)\n```"])
    out = cli("run", "-c", str(doc), "-q", "How long?", "--root-model", model, "--json", "--db",
              str(tmp_path / "r.db"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("run_id", "status", "answer", "iterations", "subcalls", "input_tokens", "output_tokens",
                "cost_usd", "max_depth_reached"):
        assert key in data
    assert data["answer"] == str(len(doc.read_text())) and data["iterations"] == 1
    assert data["input_tokens"] > 0 and data["status"] == "completed"


def test_limit_hit_exits_1_with_no_answer_and_a_labelled_candidate(tmp_path, doc):
    model = write_script(tmp_path, rules=[], default="```repl\nanswer = 'so far'\n```")
    out = cli("run", "-c", str(doc), "-q", "q", "--root-model", model, "--max-iterations", "2", "--no-db")
    assert out.returncode == 1
    assert out.stdout == ""     # nothing that a script could take for the answer
    assert "limit_hit" in out.stderr and "no answer; best candidate (from the variable answer): 'so far'" in out.stderr
    out = cli("run", "-c", str(doc), "-q", "q", "--root-model", model, "--max-iterations", "2", "--no-db", "--json")
    data = json.loads(out.stdout)
    assert data["answer"] is None and data["best_candidate"] == {"text": "'so far'", "source": "variable answer"}


@pytest.mark.parametrize("case", ["missing", "binary", "empty", "unknown_model", "bad_script", "empty_question"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, doc, case):
    args = ["run", "-c", str(doc), "-q", "q", "--no-db", "--root-model", write_script(tmp_path, responses=["x"])]
    if case == "missing":
        args[2] = str(tmp_path / "nope.txt")
    elif case == "binary":
        binary = tmp_path / "x.bin"
        binary.write_bytes(b"\x00\x01\x02\xff" * 100)
        args[2] = str(binary)
    elif case == "empty":
        empty = tmp_path / "e.txt"
        empty.write_text("")
        args[2] = str(empty)
    elif case == "unknown_model":
        args[-1] = "nosuchprovider/whatever-model"
    elif case == "bad_script":
        bad = tmp_path / "bad.json"
        bad.write_text("{not json")
        args[-1] = f"script:{bad}"
    elif case == "empty_question":
        args[4] = "   "
    out = cli(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rlm-studio run: error:"), out.stderr


def test_replay_fork_and_diff_from_the_command_line(tmp_path, doc):
    model = write_script(tmp_path, responses=[
        "```repl\nn = context.count('line')\nprint(n)\n```", "```repl\nFINAL(n)\n```"])
    db = str(tmp_path / "r.db")
    first = json.loads(cli("run", "-c", str(doc), "-q", "count", "--root-model", model, "--json", "--db", db).stdout)
    replay = cli("replay", first["run_id"][:10], "--db", db)
    assert replay.returncode == 0 and "iteration 2" in replay.stdout and "FINAL (FINAL): 2000" in replay.stdout
    again = cli("replay", first["run_id"], "--reexecute", "--json", "--db", db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["differences"] == []
    said = cli("replay", first["run_id"], "--reexecute", "--db", db)
    assert said.returncode == 0 and "re-executed: no differences in 2 cells; answer '2000'" in said.stdout, said
    edit = tmp_path / "edit.txt"
    edit.write_text("```repl\nFINAL(n + 1)\n```")
    fork = cli("fork", first["run_id"], "--at", "2", "--edit-response", str(edit), "--json", "--db", db)
    assert fork.returncode == 0, fork.stderr
    forked = json.loads(fork.stdout)
    assert forked["answer"] == "2001" and forked["parent_run_id"] == first["run_id"]
    diff = cli("diff", first["run_id"], forked["run_id"], "--json", "--db", db)
    assert diff.returncode in (0, 1), diff.stderr
    assert json.loads(diff.stdout)["differences"]  # the answers differ
    same = cli("diff", first["run_id"], first["run_id"], "--json", "--db", db)
    assert json.loads(same.stdout)["differences"] == []
    bad = cli("fork", first["run_id"], "--at", "7", "--db", db)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_show_lists_findings(tmp_path, doc):
    model = write_script(tmp_path, rules=[], default="```repl\nundefined_name + 1\n```")
    db = str(tmp_path / "r.db")
    run = json.loads(cli("run", "-c", str(doc), "-q", "q", "--root-model", model, "--max-iterations", "4",
                         "--json", "--db", db).stdout)
    out = cli("show", run["run_id"], "--json", "--db", db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    kinds = {f["kind"] for f in data["findings"]}
    assert {"iteration_limit", "repeated_errors"} <= kinds
    assert all(f["reason"] and isinstance(f["nodes"], list) for f in data["findings"])
    assert data["run"]["run_id"] == run["run_id"] and data["nodes"][0]["kind"] == "run"
    text = cli("show", run["run_id"], "--db", db)
    assert "Finding:  repeated_errors" in text.stdout and "Flag" not in text.stdout
    found = json.loads(cli("runs", "--finding", "repeated_errors", "--json", "--db", db).stdout)
    assert [r["run_id"] for r in found] == [run["run_id"]] and "iteration_limit" in found[0]["finding_kinds"]
    bad = cli("show", run["run_id"], "--threshold", "nonsense=3", "--db", db)
    assert bad.returncode == 2 and "unknown failure-mode threshold" in bad.stderr
    good = cli("run", "-c", str(doc), "-q", "q", "--root-model",
               write_script(tmp_path, responses=["```repl\nFINAL(len(context))\n```"]), "--json", "--db", db)
    clean = json.loads(cli("show", json.loads(good.stdout)["run_id"], "--json", "--db", db).stdout)
    assert clean["findings"] == [] and clean["run"]["findings_computed"] and clean["run"]["finding_kinds"] == []
    assert len(json.loads(cli("runs", "--finding", "repeated_errors", "--json", "--db", db).stdout)) == 1
