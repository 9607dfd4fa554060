"""A bench end to end through the real sandbox and the real database: an oracle scores 100%, a wrong policy 0%,
every task is a stored run linked to its bench, and resume after an interruption runs only what is missing."""

from __future__ import annotations

import asyncio
import json

from rlm_studio.bench.executor import LocalExecutor
from rlm_studio.bench.runner import BenchPlan, BenchRunner
from rlm_studio.cli.main import main
from rlm_studio.storage import Store

from .scripts import ORACLE_CODE, WRONG, write_script


def _bench_json(capsys, argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def test_oracle_scores_100_and_wrong_policy_0_through_the_sandbox(tmp_path, capsys):
    db = str(tmp_path / "runs.db")
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    wrong = write_script(tmp_path, "wrong", WRONG)
    code, good = _bench_json(capsys, ["bench", "run", "sniah", "--sizes", "8k", "--tasks", "3", "--root-model",
                                      oracle, "--db", db, "--json", "--concurrency", "2"])
    assert code == 0
    assert good["summary"][0]["score"] == 100.0 and good["summary"][0]["done"] == 3
    code, bad = _bench_json(capsys, ["bench", "run", "sniah", "--sizes", "8k", "--tasks", "3", "--root-model",
                                     wrong, "--db", db, "--json"])
    assert code == 0
    assert bad["summary"][0]["score"] == 0.0

    with Store.open(db) as store:
        runner = BenchRunner(db)
        rows = runner.bench_store.tasks(good["bench_id"])
        runner.close()
        assert len(rows) == 3
        for row in rows:
            run = store.get_run(row["run_id"])
            assert run["status"] == "completed" and run["answer"] == row["expected"][0]
            assert f"bench:{good['bench_id']}" in run["tags"]
            kinds = [e.kind for e in store.load_events(row["run_id"])]
            assert "cell_finished" in kinds and kinds[-1] == "run_finished"
            assert run["isolation"] in ("bwrap", "process")


def test_every_method_is_a_stored_run(tmp_path, capsys):
    db = str(tmp_path / "runs.db")
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    code, out = _bench_json(capsys, ["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods",
                                     "rlm,rlm-no-subcalls,base,summary,bm25", "--root-model", oracle,
                                     "--db", db, "--json"])
    assert code == 0
    scores = {line["method"]: line["score"] for line in out["summary"]}
    assert scores["rlm"] == 100.0 and scores["rlm-no-subcalls"] == 100.0
    assert scores["base"] == 0.0      # the oracle's code block is not an answer without a REPL
    runner = BenchRunner(db)
    rows = runner.bench_store.tasks(out["bench_id"])
    runner.close()
    with Store.open(db) as store:
        for row in rows:
            run = store.get_run(row["run_id"])
            assert run["status"] == "completed", row
            nodes = store.load_nodes(row["run_id"])
            assert any(n["kind"] == "model_call" for n in nodes)
            method = run["settings"].get("extra", {}).get("method", "rlm")
            assert method == row["method"] or row["method"].startswith("rlm")


def test_resume_after_an_interruption_runs_only_the_missing_tasks(tmp_path, capsys):
    db = tmp_path / "runs.db"
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    plan = BenchPlan(suite="sniah", sizes=[8192], tasks=5, settings={"root_model": oracle})
    runner = BenchRunner(db, LocalExecutor(1))
    bench_id, tasks = runner.create(plan)

    async def interrupted() -> None:
        progress = runner.progress_for(bench_id)
        job = asyncio.ensure_future(runner.run(bench_id, progress, tasks))
        progress.subscribe(lambda p: job.cancel() if p.done == 2 else None)
        try:
            await job
        except asyncio.CancelledError:
            pass

    asyncio.run(interrupted())
    bench = runner.bench_store.get_bench(bench_id)
    assert bench["status"] == "stopped"
    done_before = {r["task_id"]: r["run_id"] for r in runner.bench_store.tasks(bench_id, "done")}
    assert len(done_before) >= 2
    missing = {r["task_id"] for r in runner.bench_store.missing(bench_id)}
    assert missing and missing.isdisjoint(done_before)
    runner.close()

    code = main(["bench", "resume", bench_id[:8], "--db", str(db), "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "completed"
    runner = BenchRunner(db)
    rows = runner.bench_store.tasks(bench_id)
    runner.close()
    assert all(r["status"] == "done" and r["score"] == 1.0 for r in rows)
    assert {r["task_id"]: r["run_id"] for r in rows if r["task_id"] in done_before} == done_before
    with Store.open(db) as store:
        tagged = store.list_runs(tag=f"bench:{bench_id}")
    assert len(tagged) == 5               # one stored, linked run per task: nothing ran twice to completion


def test_bad_input_is_one_line(tmp_path, capsys):
    db = str(tmp_path / "runs.db")
    assert main(["bench", "run", "nosuch", "--db", db]) == 2
    assert "unknown suite or task family 'nosuch'" in capsys.readouterr().err
    assert main(["bench", "run", "sniah", "--methods", "magic", "--db", db]) == 2
    assert "unknown method 'magic'" in capsys.readouterr().err
    assert main(["bench", "run", "sniah", "--root-model", "script:/nonexistent.json", "--db", db]) == 2
    assert "script file not found" in capsys.readouterr().err
    assert main(["bench", "show", "zzz", "--db", db]) == 2
    assert "no bench with id" in capsys.readouterr().err


def test_an_unreachable_model_stops_the_bench_and_resume_runs_those_tasks_again(tmp_path, capsys):
    db = str(tmp_path / "runs.db")
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"rules": [{"match": "", "content": "", "error": "connection"}]}))
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "6", "--root-model", f"script:{script}",
                 "--db", db])
    err = capsys.readouterr().err
    assert code == 1
    assert "stopped: the last 3 tasks failed without a model's answer" in err and "connection" in err
    runner = BenchRunner(db)
    bench = runner.bench_store.list_benches()[0]
    rows = runner.bench_store.tasks(bench["id"])
    runner.close()
    assert bench["status"] == "stopped"
    assert [r["status"] for r in rows].count("failed") == 3 and all(r["score"] is None for r in rows)
    assert all(r["run_id"] for r in rows if r["status"] == "failed")     # the failed runs are stored, to look at

    script.write_text(json.dumps({"rules": [{"match": "", "content": ORACLE_CODE}]}))   # the model is back
    assert main(["bench", "resume", bench["id"], "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["status"] == "completed" and out["summary"][0]["score"] == 100.0 and out["summary"][0]["done"] == 6
