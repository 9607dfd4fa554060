"""Ctrl+C on a real `rlm-studio bench run` process keeps the finished tasks; the executor contract a remote
executor relies on (picklable specs and results; a run's events ingested elsewhere give the same stored run);
the progress object the app observes."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rlm_studio.bench.execute import execute_task
from rlm_studio.bench.progress import BenchProgress
from rlm_studio.bench.spec import TaskResult, TaskSpec
from rlm_studio.bench.store import BenchStore
from rlm_studio.bench.tasks import sniah
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store

from .scripts import ORACLE_CODE, write_script

ROOT = Path(__file__).resolve().parents[2]


def _done_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM bench_tasks WHERE status = 'done'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:   # the tables are not there yet
        return 0


def test_ctrl_c_keeps_finished_tasks_and_says_how_to_resume(tmp_path):
    db = tmp_path / "r.db"
    slow = write_script(tmp_path, "slow", ORACLE_CODE, delay_ms=400)
    proc = subprocess.Popen([sys.executable, "-m", "rlm_studio.cli.main", "bench", "run", "sniah", "--sizes", "8k",
                             "--tasks", "8", "--root-model", slow, "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while _done_rows(db) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "bench resume" in err and "not done" in err
    with BenchStore(db) as store:
        bench = store.list_benches()[0]
        rows = store.tasks(bench["id"])
    done = [r for r in rows if r["status"] == "done"]
    assert bench["status"] == "stopped" and 2 <= len(done) < 8
    assert all(r["score"] == 1.0 for r in done)
    with Store.open(db) as runs:
        assert all(runs.get_run(r["run_id"])["status"] == "completed" for r in done)


def test_specs_and_results_travel_and_events_ingested_elsewhere_make_the_same_run(tmp_path):
    task = sniah.generate(1, 8192, seed=5)[0]
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    spec = TaskSpec(bench_id="b1", task=task, method="rlm", config="", run_id="r-remote-1",
                    settings=RunSettings(root_model=oracle).to_dict())
    spec = pickle.loads(pickle.dumps(spec))
    events: list = []
    result = asyncio.run(execute_task(spec, events.append))
    result = pickle.loads(pickle.dumps(result))
    assert isinstance(result, TaskResult) and result.score == 1.0 and result.run_id == "r-remote-1"
    with Store.open(tmp_path / "r.db") as store:       # what a remote executor does with the shipped events
        store.ingest_events(events)
        run = store.get_run("r-remote-1")
        assert run["status"] == "completed" and run["answer"] == task.answer


def test_progress_counts_cost_and_eta():
    seen: list[dict] = []
    progress = BenchProgress(total=4)
    progress.subscribe(lambda p: seen.append(p.snapshot()))
    progress.add_previous(1, 0.5, False, 1.0, 1)
    spec = TaskSpec("b", sniah.generate(1, 128, 0)[0], "rlm", "", {}, "r")
    progress.task_started(spec)
    assert seen[-1]["running"] == 1 and seen[-1]["eta_s"] is None
    progress.task_finished(TaskResult(task_id=spec.task.id, method="rlm", config="", run_id="r", status="done",
                                      score=0.0, answer="x", cost_usd=0.25))
    snap = seen[-1]
    assert snap["done"] == 2 and snap["running"] == 0 and snap["cost_usd"] == 0.75
    assert snap["mean_score"] == 0.5 and snap["eta_s"] is not None and snap["eta_s"] >= 0
    progress.task_finished(TaskResult(task_id="t2", method="rlm", config="", run_id="r2", status="done", score=1.0,
                                      answer="y", cost_usd=None, cost_unknown=True))
    assert seen[-1]["cost_unknown"] is True and json.dumps(seen[-1])


def test_a_bench_whose_process_died_reads_interrupted_and_resumes(tmp_path, capsys):
    from rlm_studio.bench.runner import BenchPlan, BenchRunner
    from rlm_studio.cli.main import main

    db = tmp_path / "r.db"
    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    runner = BenchRunner(db)
    bench_id, _ = runner.create(BenchPlan(suite="sniah", sizes=[8192], tasks=2, settings={"root_model": oracle}))
    runner.bench_store.set_status(bench_id, "running")
    assert runner.bench_store.get_bench(bench_id)["status"] == "running"     # this process is alive
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE benches SET settings = json_set(settings, '$._writer.pid', ?) WHERE id = ?",
                 (gone.pid, bench_id))
    conn.commit()
    conn.close()
    assert runner.bench_store.list_benches()[0]["status"] == "interrupted"
    runner.close()
    assert main(["bench", "resume", bench_id, "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "completed"
