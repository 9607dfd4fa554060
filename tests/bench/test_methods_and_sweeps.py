"""rlm-no-subcalls really refuses sub-calls; a sweep over depth and sub-call concurrency is one command whose
rows carry their settings into the stored runs; the base method records how it cut the context."""

from __future__ import annotations

import json

from rlm_studio.bench.store import BenchStore
from rlm_studio.cli.main import main
from rlm_studio.storage import Store

from .scripts import ORACLE_CODE, write_script

ASKS_SUBMODEL = ("```repl\ntry:\n    got = llm_query('which number?')\nexcept Exception as exc:\n"
                 "    got = 'refused: ' + str(exc)\nprint(got)\nanswer = got\n```\nFINAL_VAR(answer)")


def _run(argv: list[str], capsys) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_no_subcalls_refuses_llm_query_and_rlm_answers_it(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    root = write_script(tmp_path, "asks", ASKS_SUBMODEL)
    out = _run(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods", "rlm,rlm-no-subcalls",
                "--root-model", root, "--db", db, "--json"], capsys)
    with BenchStore(db) as bench_store:
        rows = {r["method"]: r for r in bench_store.tasks(out["bench_id"])}
    assert rows["rlm-no-subcalls"]["answer"].startswith("refused: ")
    assert "sub-calls are disabled" in rows["rlm-no-subcalls"]["answer"]
    assert not rows["rlm"]["answer"].startswith("refused")   # the scripted root answered its own sub-call
    with Store.open(db) as store:
        run = store.get_run(rows["rlm-no-subcalls"]["run_id"])
        assert run["settings"]["max_depth"] == 0
        assert "disabled" in run["system_prompt"]


def test_depth_and_subcall_concurrency_sweep_is_one_command(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    out = _run(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--root-model", oracle,
                "--max-depth", "1,2,3", "--subcall-concurrency", "1,8", "--db", db, "--json"], capsys)
    with BenchStore(db) as bench_store:
        rows = bench_store.tasks(out["bench_id"])
    assert sorted(r["config"] for r in rows) == sorted(
        f"max_depth={d},subcall_concurrency={c}" for d in (1, 2, 3) for c in (1, 8))
    assert {line["method"] for line in out["summary"]} == {f"rlm [{r['config']}]" for r in rows}
    with Store.open(db) as store:
        for row in rows:
            settings = store.get_run(row["run_id"])["settings"]
            depth, conc = (int(part.split("=")[1]) for part in row["config"].split(","))
            assert settings["max_depth"] == depth and settings["batch_concurrency"] == conc
            assert row["score"] == 1.0


def test_base_records_its_cut_and_bm25_keeps_the_needle(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"rules": [{"match": "", "content": "no idea"}], "context_window": 2000}))
    out = _run(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods", "base,bm25",
                "--root-model", f"script:{small}", "--db", db, "--json"], capsys)
    with BenchStore(db) as bench_store:
        rows = {r["method"]: r for r in bench_store.tasks(out["bench_id"])}
    with Store.open(db) as store:
        base = store.get_run(rows["base"]["run_id"])
        cut = base["settings"]["extra"]["context_cut"]
        assert cut["cut_chars"] > 0 and cut["prompt_tokens"] <= 2000
        notices = [e for e in store.load_events(base["id"]) if e.kind == "notice"]
        assert any(n.code == "context_cut" for n in notices)
        expected = rows["bm25"]["expected"][0]
        prompt = next(e for e in store.load_events(rows["bm25"]["run_id"]) if e.kind == "model_call_started")
        assert expected in prompt.messages[-1]["content"]       # BM25 put the needle's passage in the prompt


def test_root_model_sweep_runs_each_model_as_rlm_and_directly_in_one_bench(tmp_path, capsys):
    """`--root-model A,B --methods rlm,base`: four rows per task, each stored run made by the model its row names
    (how the bundled model and the base model are compared in the same bench)."""
    db = str(tmp_path / "r.db")
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    wrong = write_script(tmp_path, "wrong", "FINAL(no idea)")
    out = _run(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods", "rlm,base",
                "--root-model", f"{oracle},{wrong}", "--db", db, "--json"], capsys)
    with BenchStore(db) as bench_store:
        rows = bench_store.tasks(out["bench_id"])
    assert sorted((r["method"], r["config"]) for r in rows) == sorted(
        (m, f"root_model={spec}") for m in ("rlm", "base") for spec in (oracle, wrong))
    with Store.open(db) as store:
        for row in rows:
            run = store.get_run(row["run_id"])
            assert row["config"] == f"root_model={run['settings']['root_model']}"
    by = {(r["method"], r["config"].endswith("wrong.json")): r["score"] for r in rows}
    assert by[("rlm", False)] == 1.0 and by[("rlm", True)] == 0.0 and by[("base", True)] == 0.0


def test_a_missing_model_in_a_root_model_sweep_is_refused_before_anything_runs(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    assert main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1",
                 "--root-model", f"{oracle},script:{tmp_path / 'missing.json'}", "--db", db]) != 0
    assert "missing.json" in capsys.readouterr().err
