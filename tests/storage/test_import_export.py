"""Our JSONL round trip, the official RLMLogger logs (real rlms run, older FINAL/FINAL_VAR), bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.storage import StorageError, Store
from tests.support.files import FIXTURES, counts
from tests.support.sample_runs import sample_run

HERE = Path(__file__).resolve().parent


def test_export_then_import_gives_the_same_events_nodes_and_run(store, tmp_path):
    events = sample_run()
    run_id = events[0].run_id
    store.ingest_events(events)
    store.rename_run(run_id, "exported")
    store.add_tag(run_id, "keep")
    path = store.export_run(run_id, tmp_path / "run.jsonl")
    header = json.loads(path.read_text().splitlines()[0])
    assert header["format"] == "rlm-studio-run" and header["version"] == 1 and header["run_id"] == run_id

    with Store.open(tmp_path / "other.db") as other:
        [result] = other.import_file(path)
        assert result == {"run_id": run_id, "original_run_id": run_id, "renamed": False,
                          "source": "rlm-studio-run", "events": len(events) - 1}
        assert other.load_events(run_id) == store.load_events(run_id)
        assert other.load_nodes(run_id) == store.load_nodes(run_id)
        volatile = {"writer_pid", "writer_host", "heartbeat_at"}
        mine = {k: v for k, v in store.get_run(run_id).items() if k not in volatile}
        theirs = {k: v for k, v in other.get_run(run_id).items() if k not in volatile}
        assert theirs == mine

    [again] = store.import_file(path)         # the id exists here: a new one, and it says so
    assert again["renamed"] and again["run_id"] != run_id and again["original_run_id"] == run_id
    copied = store.load_events(again["run_id"])
    assert [e.to_dict() | {"run_id": run_id} for e in copied] == [e.to_dict() for e in store.load_events(run_id)]


def test_an_unfinished_run_keeps_its_interrupted_status_through_export(store, tmp_path):
    events = [e for e in sample_run() if not e.ephemeral][:12]
    store.ingest_events(events)
    run_id = events[0].run_id
    store._conn.execute("UPDATE runs SET heartbeat_at = 0 WHERE id = ?", (run_id,))
    assert store.mark_interrupted() == [run_id]
    path = store.export_run(run_id, tmp_path / "cut.jsonl")
    with Store.open(tmp_path / "other.db") as other:
        other.import_file(path)
        assert other.get_run(run_id)["status"] == "interrupted"
        assert other.load_events(run_id) == events


def _malformed(tmp_path: Path, name: str, mutate) -> Path:
    lines = (FIXTURES / "rlms_0.1.3_log.jsonl").read_text().splitlines()
    mutate(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name, mutate, message", [
    ("badjson.jsonl", lambda ls: ls.__setitem__(2, ls[2][:-5]), r"badjson\.jsonl, line 3: not valid JSON"),
    ("missing.jsonl", lambda ls: ls.__setitem__(3, json.dumps({k: v for k, v in json.loads(ls[3]).items()
                                                               if k != "response"})),
     r"missing\.jsonl, line 4: missing field 'response'"),
    ("wrongtype.jsonl", lambda ls: ls.__setitem__(2, json.dumps(
        {**json.loads(ls[2]), "code_blocks": [{"code": 5, "result": {}}]})),
     r"wrongtype\.jsonl, line 3: code_blocks\[0\]: 'code' must be str, not int"),
])
def test_a_malformed_official_log_is_refused_with_its_line_and_nothing_is_imported(
        store, tmp_path, name, mutate, message):
    store.ingest_events(sample_run())
    before = counts(store)
    with pytest.raises(StorageError, match=message + ".*nothing was imported"):
        store.import_file(_malformed(tmp_path, name, mutate))
    assert counts(store) == before


def test_a_malformed_own_export_is_refused_with_its_line_and_nothing_is_imported(store, tmp_path):
    events = sample_run()
    store.ingest_events(events)
    path = store.export_run(events[0].run_id, tmp_path / "run.jsonl")
    lines = path.read_text().splitlines()
    before = counts(store)
    bad = dict(json.loads(lines[5]), seq="five")
    (tmp_path / "bad.jsonl").write_text("\n".join(lines[:5] + [json.dumps(bad)] + lines[6:]) + "\n")
    with pytest.raises(StorageError, match=r"bad\.jsonl, line 6: 'seq' has the wrong type"):
        store.import_file(tmp_path / "bad.jsonl")
    unknown = dict(json.loads(lines[7]), kind="teleport")
    (tmp_path / "kind.jsonl").write_text("\n".join(lines[:7] + [json.dumps(unknown)] + lines[8:]) + "\n")
    with pytest.raises(StorageError, match=r"kind\.jsonl, line 8: unknown event kind 'teleport'"):
        store.import_file(tmp_path / "kind.jsonl")
    (tmp_path / "other.jsonl").write_text('{"hello": "world"}\n')
    with pytest.raises(StorageError, match="neither an RLM Studio run export.*nor an RLMLogger log"):
        store.import_file(tmp_path / "other.jsonl")
    assert counts(store) == before


def _check_rlms_run(store, result):
    run = store.get_run(result["run_id"])
    assert run["question"] == "What colour is the sky?"
    assert run["answer"] == "The sky is blue" and run["status"] == "completed"
    assert run["root_model"] == "scripted-model" and run["iterations"] == 3
    nodes = store.load_nodes(run["id"])
    kinds = [n["kind"] for n in nodes]
    assert kinds.count("iteration") == 4 and kinds.count("subcall") == 2
    subcalls = [n for n in nodes if n["kind"] == "subcall"]
    assert {n["extra"]["response_preview"] for n in subcalls} == {"blue", "green"}
    assert all(n["input_tokens"] > 100 for n in subcalls)
    child = next(n for n in nodes if n["kind"] == "run" and n["depth"] == 1)
    assert child["summary"] == "What colour is the sky? Answer in one word."
    assert child["extra"]["answer"] == "blue"
    parent_cell = next(n for n in nodes if n["id"] == child["parent_id"])
    assert parent_cell["kind"] == "cell" and "rlm_query" in parent_cell["summary"]
    error_cell = next(n for n in nodes if n["kind"] == "cell" and n["status"] == "error")
    assert error_cell["error"] == "NameError: name 'undefined_name' is not defined"
    finals = [e for e in store.load_events(run["id"]) if e.kind == "final_answer"]
    assert [(f.answer, f.source) for f in finals] == [("blue", "code"), ("The sky is blue", "code")]
    assert store.search("undefined_name")


def test_a_log_written_now_by_the_real_rlms_package_imports(store, tmp_path):
    pytest.importorskip("rlm", reason="the official rlms package (pip install rlms==0.1.3) is not installed")
    done = subprocess.run([sys.executable, str(HERE / "make_rlms_log.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [result] = store.import_file(done.stdout.strip())
    _check_rlms_run(store, result)


def test_the_committed_rlms_log_imports(store):
    [result] = store.import_file(FIXTURES / "rlms_0.1.3_log.jsonl")
    assert result["source"] == "rlms-logger"
    _check_rlms_run(store, result)


def test_an_older_log_with_final_and_final_var_in_the_text_imports(store):
    first, second = store.import_file(FIXTURES / "rlm_old_final_format.jsonl")
    run = store.get_run(first["run_id"])
    assert (run["question"], run["answer"], run["status"]) == ("How many invoices are overdue?", "42", "completed")
    [final] = [e for e in store.load_events(run["id"]) if e.kind == "final_answer"]
    assert (final.via, final.var_name, final.source) == ("FINAL_VAR", "count", "text")
    [sub] = [n for n in store.load_nodes(run["id"]) if n["kind"] == "subcall"]
    assert (sub["input_tokens"], sub["output_tokens"]) == (900, 12)      # the oldest usage fields
    run2 = store.get_run(second["run_id"])
    assert (run2["question"], run2["answer"]) == ("What is the capital named in the memo?", "Paris")
    assert run2["created_at"] > run["created_at"]
    [final2] = [e for e in store.load_events(run2["id"]) if e.kind == "final_answer"]
    assert final2.via == "FINAL"


def test_export_to_the_official_format_reads_back_as_the_same_run(store, tmp_path):
    events = sample_run()
    store.ingest_events(events)
    path = store.export_run(events[0].run_id, tmp_path / "official.jsonl", format="official")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["type"] == "metadata" and lines[0]["root_model"] == "gpt-5-mini"
    assert [line["iteration"] for line in lines[1:]] == [1, 2]
    assert all(set(line) >= {"prompt", "response", "code_blocks", "final_answer", "iteration_time"}
               for line in lines[1:])
    child_call = lines[2]["code_blocks"][0]["result"]["rlm_calls"][0]
    assert child_call["metadata"]["iterations"][0]["final_answer"] == "aurora borealis"
    assert lines[2]["code_blocks"][2]["result"]["final_answer"] == "aurora borealis"

    [result] = store.import_file(path)
    original = {n["id"]: n for n in store.load_nodes(events[0].run_id)}
    back = store.load_nodes(result["run_id"])
    assert [(n["kind"], n["depth"]) for n in back] == [(n["kind"], n["depth"]) for n in original.values()]
    assert [n["summary"] for n in back if n["kind"] in ("cell", "subcall", "final_answer")] == \
        [n["summary"] for n in original.values() if n["kind"] in ("cell", "subcall", "final_answer")]
    back_run = store.get_run(result["run_id"])
    assert (back_run["answer"], back_run["status"]) == ("aurora borealis", "completed")
    assert back_run["question"] == "Which project does the report mention?"
