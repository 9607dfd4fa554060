"""`rlm-studio ask RUN "question"` and `run ... --then "question"`: real subprocesses, sandbox and database."""

from __future__ import annotations

import json
import sqlite3

from .test_cli_run import cli, write_script

RULES = {"rules": [
    {"match": "Question: How many lines mention north", "content":
        "```repl\nnorth = [l for l in context.splitlines() if 'north' in l]\nFINAL(str(len(north)))\n```"},
    {"match": "Question: And the first of them", "content":
        "```repl\nprint(answer_1, question_1)\nFINAL(north[0] + ' | ' + str(answer_1))\n```"},
    {"match": "Question: Which added document", "content":
        "```repl\nFINAL(', '.join(sorted(context)) + ' / ' + str(len(north)))\n```"},
]}


def _doc(tmp_path, name="log.txt", text="north gate\nsouth gate\nnorth wall\n"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _turns(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("select t.turn, t.previous_run_id, r.question, r.answer from conversation_turns t "
                            "join runs r on r.id = t.run_id order by t.turn").fetchall()


def test_ask_continues_a_stored_run_in_its_rebuilt_repl(tmp_path):
    model = write_script(tmp_path, **RULES)
    db = tmp_path / "r.db"
    first = cli("run", "-c", str(_doc(tmp_path)), "-q", "How many lines mention north?", "--root-model", model,
                "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    run1 = json.loads(first.stdout)["run_id"]
    out = cli("ask", run1[:12], "And the first of them?", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "north gate | 2"
    assert "turn 2 of conversation" in out.stderr and "1 recorded cell(s)" in out.stderr
    turns = _turns(db)
    assert [(t[0], t[1], t[3]) for t in turns] == [(1, None, "2"), (2, run1, "north gate | 2")]
    run2 = next(t for t in turns if t[0] == 2)
    third = cli("ask", run1, "Which added document?", "-c", str(_doc(tmp_path, "more.txt", "east")), "--db", str(db),
                "--json")
    assert third.returncode == 0, third.stderr
    data = json.loads(third.stdout)
    assert data["answer"] == "context, more.txt / 2"
    assert data["conversation"]["turn"] == 2 and data["conversation"]["previous_run_id"] == run1  # a branch
    assert run2[2] == "And the first of them?"


def test_run_then_asks_each_follow_up_in_turn(tmp_path):
    model = write_script(tmp_path, **RULES)
    db = tmp_path / "r.db"
    out = cli("run", "-c", str(_doc(tmp_path)), "-q", "How many lines mention north?", "--root-model", model,
              "--then", "And the first of them?", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert (first["answer"], second["answer"]) == ("2", "north gate | 2")
    assert second["conversation"] == {"id": first["run_id"], "turn": 2, "previous_run_id": first["run_id"]}
    assert [t[0] for t in _turns(db)] == [1, 2]
    no_db = cli("run", "-c", str(_doc(tmp_path)), "-q", "How many lines mention north?", "--root-model", model,
                "--then", "And the first of them?", "--no-db")
    assert no_db.returncode == 0, no_db.stderr
    assert no_db.stdout.splitlines() == ["2", "north gate | 2"]


def test_ask_on_a_run_that_stopped_works_from_its_state(tmp_path):
    db = tmp_path / "r.db"
    stopper = write_script(tmp_path, responses=["```repl\nnorth = ['kept']\n```"] * 2)
    first = cli("run", "-c", str(_doc(tmp_path)), "-q", "q", "--root-model", stopper, "--max-iterations", "2",
                "--db", str(db), "--json")
    assert first.returncode == 1 and json.loads(first.stdout)["status"] == "limit_hit"
    model = write_script(tmp_path, **RULES)
    out = cli("ask", json.loads(first.stdout)["run_id"], "And the first of them?", "--root-model", model,
              "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kept | None"


def test_bad_follow_ups_are_one_line_errors(tmp_path):
    db = tmp_path / "r.db"
    missing = cli("ask", "nosuchrun", "q?", "--db", str(db))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    model = write_script(tmp_path, **RULES)
    first = cli("run", "-c", str(_doc(tmp_path)), "-q", "How many lines mention north?", "--root-model", model,
                "--db", str(db), "--json")
    empty = cli("ask", json.loads(first.stdout)["run_id"], "  ", "--db", str(db))
    assert empty.returncode == 2 and "question is empty" in empty.stderr
