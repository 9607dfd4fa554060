"""`rlm-studio diff` as a user calls it: a real subprocess over a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.storage import Store
from tests.analysis.analysis_streams import simple_run

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "runs.db"
    with Store.open(path) as store:
        store.ingest_events(simple_run("0001aaaa").events)
        store.ingest_events(simple_run("0002bbbb", stdout2="forty-one\n", answer="41").events)
        unpriced = simple_run("0003cccc")
        unpriced.events[4].cost_usd = None  # the first root call has no known price
        store.ingest_events(unpriced.events)
        other_question = simple_run("0004dddd")
        other_question.events[0].question = "How many words?"
        store.ingest_events(other_question.events)
    return path


def test_json_output_lists_differences_and_totals(db):
    out = cli("diff", "0001", "0002", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [(d["path"], d["field"], d["a"], d["b"]) for d in result["differences"]] == [
        ("run", "answer", "42", "41"), ("iteration 2 / cell 1", "stdout", "42\n", "forty-one\n")]
    assert result["totals"]["a"]["run_id"] == "0001aaaa" and result["totals"]["delta"]["input_tokens"] == 0


def test_text_output_has_an_aligned_totals_table_then_the_differences(db):
    out = cli("diff", "0001", "0003", "--db", str(db))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "A: run 0001aaaa (completed)"
    table = [line for line in lines if line.startswith("  ")]
    assert len({len(line) for line in table}) == 1  # every row of the table has the same width
    cost = next(line for line in table if "cost (USD)" in line)
    assert cost.split()[2:] == ["0.0025", "0.0015+?", "?"]
    assert lines[-1] == "No differences in code, output, sub-calls, errors or answers."
    changed = cli("diff", "0001", "0002", "--db", str(db))
    assert "2 differences:" in changed.stdout and "run — answer: '42' -> '41'" in changed.stdout
    assert "asked" not in changed.stdout
    asked = cli("diff", "0001", "0004", "--db", str(db)).stdout.splitlines()
    assert asked[2:4] == ["A asked: What is the answer?", "B asked: How many words?"]


def test_unknown_run_is_a_clear_error(db):
    out = cli("diff", "0001", "9999", "--db", str(db))
    assert out.returncode == 2 and out.stdout == ""
    assert "no run with id '9999'" in out.stderr


def test_two_real_runs_of_the_same_script_have_no_differences(tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("alpha beta gamma\n" * 50)
    db = tmp_path / "runs.db"
    ids = []
    for answer in ("3", "3", "4"):
        script = tmp_path / f"root{len(ids)}.json"
        script.write_text(json.dumps({"responses": [
            "```repl\nwords = set(context.split())\nprint(len(words))\n```", f"FINAL({answer})"]}))
        out = cli("run", "--context", str(doc), "--question", "How many distinct words?",
                  "--root-model", f"script:{script}", "--db", str(db))
        assert out.returncode == 0, out.stderr
        with Store.open(db) as store:
            ids.append(max(r["id"] for r in store.list_runs()))
    same = json.loads(cli("diff", ids[0], ids[1], "--db", str(db), "--json").stdout)
    assert same["differences"] == []
    other = json.loads(cli("diff", ids[0], ids[2], "--db", str(db), "--json").stdout)
    assert [(d["path"], d["field"], d["a"], d["b"]) for d in other["differences"]] == [("run", "answer", "3", "4")]
    assert other["totals"]["delta"]["iterations"] == 0
