"""--data: the released files' layouts (RULER, OOLONG, BrowseComp-Plus, LongBench-v2) read into tasks; bad files
are one clear error. The files here are small ones written in those layouts (jsonl; parquet needs pyarrow)."""

from __future__ import annotations

import json

import pytest

from rlm_studio.bench.loaders import DataError, load_family
from rlm_studio.bench.task import score
from rlm_studio.cli.main import main

from .scripts import ORACLE_CODE, write_script


def _jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


RULER_INPUT = ("Some special magic numbers are hidden within the following text. Make sure to memorize it. I will "
               "quiz you about the numbers afterwards.\nThe grass is green. The sky is blue.\nOne of the special magic "
               "numbers for fuzzy-cat is: 1234567.\nThe grass is green. The sky is blue.\nWhat is the special magic "
               "number for fuzzy-cat mentioned in the provided text?")


def test_ruler_jsonl(tmp_path):
    path = _jsonl(tmp_path / "validation.jsonl", [
        {"index": 0, "input": RULER_INPUT, "outputs": ["1234567"], "length": 80, "length_w_model_temp": 95,
         "answer_prefix": " The special magic number for fuzzy-cat mentioned in the provided text is"}])
    task = load_family("sniah", path)[0]
    assert task.question.startswith("What is the special magic number for fuzzy-cat")
    assert "1234567" in task.context and "What is" not in task.context
    assert task.answers == ["1234567"] and score(task, "It is 1234567.") == 1.0


def test_oolong_synth_rows(tmp_path):
    path = _jsonl(tmp_path / "oolong.jsonl", [
        {"id": 7, "context_len": 1024, "dataset": "trec_coarse", "context_window_text": "Date: ... || User: 1 ...",
         "context_window_text_with_labels": "...", "question": "How many ...?", "task_group": "counting",
         "task": "TASK_TYPE.COUNT", "answer": "[12]", "answer_type": "ANSWER_TYPE.NUMERIC", "input_subset": "False",
         "num_labels": 6, "context_window_id": 3},
        {"id": 8, "context_len": 1024, "dataset": "trec_coarse", "context_window_text": "x", "question": "Which?",
         "answer": "['location']"}])
    numeric, label = load_family("oolong", path)
    assert numeric.answers == ["12"] and score(numeric, "Answer: 11") == 0.75
    assert label.answers == ["location"] and score(label, "Label: location") == 1.0


def test_browsecomp_plus_decrypted_rows(tmp_path):
    path = _jsonl(tmp_path / "browsecomp_plus_decrypted.jsonl", [
        {"query_id": "12", "query": "Which harbour?", "answer": "Blue Harbor",
         "evidence_docs": [{"docid": "d1", "text": "The ship sailed to Blue Harbor.", "url": "u"}],
         "gold_docs": [{"docid": "d1", "text": "The ship sailed to Blue Harbor.", "url": "u"}],
         "negative_docs": [{"docid": "d9", "text": "Red Harbor is elsewhere.", "url": "v"}]}])
    task = load_family("browsecomp", path)[0]
    assert task.context == {"d1": "The ship sailed to Blue Harbor.", "d9": "Red Harbor is elsewhere."}
    assert score(task, "blue harbor") == 1.0


def test_longbench_v2_keeps_code_repository_rows(tmp_path):
    row = {"_id": "x1", "domain": "Code Repository Understanding", "sub_domain": "Code repo QA",
           "difficulty": "hard", "length": "short", "question": "Which function parses?", "choice_A": "a",
           "choice_B": "b", "choice_C": "c", "choice_D": "d", "answer": "C", "context": "def parse(): pass"}
    other = {**row, "_id": "x2", "domain": "Single-Document QA"}
    (tmp_path / "data.json").write_text(json.dumps([row, other]), encoding="utf-8")
    tasks = load_family("codeqa", str(tmp_path / "data.json"))
    assert [t.id for t in tasks] == ["codeqa-data-x1"]
    assert "(C) c" in tasks[0].question and score(tasks[0], "The correct answer is (C)") == 1.0


def test_bad_files_are_one_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "x", "outputs": ["1"]}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        load_family("sniah", str(bad))
    missing = _jsonl(tmp_path / "missing.jsonl", [{"input": "x"}])
    with pytest.raises(DataError, match="missing field"):
        load_family("sniah", missing)
    (tmp_path / "rows.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match="pyarrow"):
        load_family("oolong", str(tmp_path / "rows.parquet"))


def test_bench_run_with_data_through_the_sandbox(tmp_path, capsys):
    path = _jsonl(tmp_path / "niah.jsonl", [{"index": i, "input": RULER_INPUT.replace("1234567", f"765432{i}"),
                                             "outputs": [f"765432{i}"]} for i in range(2)])
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    code = main(["bench", "run", "sniah", "--data", path, "--root-model", oracle, "--db", str(tmp_path / "r.db"),
                 "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["summary"][0]["score"] == 100.0 and out["summary"][0]["done"] == 2
    assert main(["bench", "run", "paper", "--data", path, "--db", str(tmp_path / "r.db")]) == 2
    assert "one family" in capsys.readouterr().err
