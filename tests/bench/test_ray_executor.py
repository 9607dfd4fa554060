"""The Ray executor on a real local Ray instance: the same scores and the same stored run trees as the local
executor for the same seeded tasks; Stop keeps what finished and resume runs the rest; the CLI's --executor ray;
a missing Ray is a one-line error naming the extra."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rlm_studio.bench.executor import Executor, LocalExecutor, make_executor
from rlm_studio.bench.runner import BenchPlan, BenchRunner
from rlm_studio.storage import Store

from .scripts import ORACLE_CODE, write_script

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[2]

# the oracle, plus a sub-call so each run's tree has a sub-call node under a cell
ORACLE_WITH_SUBCALL = ORACLE_CODE.replace("print(answer)", "note = llm_query('say ok')\nprint(answer, len(note))")


@pytest.fixture(scope="module")
def ray_instance() -> Any:
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _run_bench(db: Path, executor: Executor, plan: BenchPlan) -> str:
    runner = BenchRunner(db, executor)
    try:
        bench_id, tasks = runner.create(plan)
        asyncio.run(runner.run(bench_id, tasks=tasks))
        return bench_id
    finally:
        runner.close()


def _timeless(totals: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in totals.items() if not any(w in k for w in ("ms", "time", "duration", "_s"))}


def _stored(db: Path, bench_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(task id, method) -> its score, answer, run status and tree shape (node kinds, labels, counts, totals)."""
    runner = BenchRunner(db)
    rows = runner.bench_store.tasks(bench_id)
    runner.close()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with Store.open(db) as store:
        for row in rows:
            assert row["status"] == "done" and row["run_id"], row
            tree = store.load_tree(row["run_id"])
            nodes = sorted((n.kind, n.label) for n in tree.nodes.values())
            run = store.get_run(row["run_id"])
            out[(row["task_id"], row["method"])] = {
                "score": row["score"], "answer": row["answer"], "status": run["status"], "nodes": nodes,
                "root_totals": _timeless(tree.totals(tree.root_id).to_dict()),
                "findings": sorted(f["kind"] for f in store.findings(row["run_id"])),
                "events": [e.kind for e in store.load_events(row["run_id"])],
            }
    return out


def test_local_and_ray_executors_store_the_same_scores_and_trees(tmp_path, ray_instance):
    oracle = write_script(tmp_path, "oracle", ORACLE_WITH_SUBCALL)
    plan = BenchPlan(suite="sniah", sizes=[4096], tasks=3, methods=["rlm", "base"], seed=7,
                     settings={"root_model": oracle}, concurrency=2)
    local_bench = _run_bench(tmp_path / "local.db", LocalExecutor(2), plan)
    ray_bench = _run_bench(tmp_path / "ray.db", make_executor("ray", 2), plan)

    local, remote = _stored(tmp_path / "local.db", local_bench), _stored(tmp_path / "ray.db", ray_bench)
    assert len(local) == 6 and local.keys() == remote.keys()
    assert local == remote
    assert {k: v["score"] for k, v in remote.items() if k[1] == "rlm"} == {k: 1.0 for k in remote if k[1] == "rlm"}
    one = next(v for k, v in remote.items() if k[1] == "rlm")
    assert {"subcall", "cell"} <= {kind for kind, _ in one["nodes"]}, one["nodes"]
    assert one["root_totals"]["subcalls"] == 1 and one["root_totals"]["input_tokens"] > 0
    assert one["events"][0] == "run_started" and one["events"][-1] == "run_finished"


def test_stop_keeps_finished_ray_tasks_and_resume_runs_the_rest(tmp_path, ray_instance):
    db = tmp_path / "r.db"
    slow = write_script(tmp_path, "slow", ORACLE_CODE, delay_ms=300)
    plan = BenchPlan(suite="sniah", sizes=[2048], tasks=6, settings={"root_model": slow}, concurrency=2)
    runner = BenchRunner(db, make_executor("ray", 2))
    bench_id, tasks = runner.create(plan)
    progress = runner.progress_for(bench_id)

    async def run_until_two_done() -> None:
        job = asyncio.ensure_future(runner.run(bench_id, progress, tasks))
        two_done = asyncio.Event()
        progress.subscribe(lambda p: two_done.set() if p.done >= 2 else None)
        await two_done.wait()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(run_until_two_done())
    bench = runner.bench_store.get_bench(bench_id)
    done = runner.bench_store.tasks(bench_id, status="done")
    assert bench["status"] == "stopped" and 2 <= len(done) < 6
    with Store.open(db) as store:
        assert all(store.get_run(r["run_id"])["status"] == "completed" for r in done)

    asyncio.run(runner.run(bench_id, tasks=tasks))
    rows = runner.bench_store.tasks(bench_id)
    assert runner.bench_store.get_bench(bench_id)["status"] == "completed"
    assert [r["status"] for r in rows] == ["done"] * 6 and all(r["score"] == 1.0 for r in rows)
    assert {r["run_id"] for r in done} <= {r["run_id"] for r in rows}    # the finished ones were not run again
    runner.close()


def test_cli_bench_run_with_the_ray_executor(tmp_path):
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    db = tmp_path / "cli.db"
    proc = subprocess.run([sys.executable, "-m", "rlm_studio.cli.main", "bench", "run", "sniah", "--sizes", "2k",
                           "--tasks", "2", "--root-model", oracle, "--db", str(db), "--executor", "ray",
                           "--concurrency", "2", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "RAY_ADDRESS": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"score": 100.0' in proc.stdout


def test_a_missing_ray_is_one_line_naming_the_extra(tmp_path):
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    code = ("import sys; sys.modules['ray'] = None\n"
            "from rlm_studio.cli.main import main\n"
            "sys.exit(main(['bench', 'run', 'sniah', '--sizes', '2k', '--tasks', '1', '--root-model', "
            f"{oracle!r}, '--db', {str(tmp_path / 'x.db')!r}, '--executor', 'ray']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "rlm-studio[ray]" in lines[0], proc.stderr
