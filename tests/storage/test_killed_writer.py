"""A writer process killed with SIGKILL mid-run leaves a readable file and, once detected, an interrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from rlm_studio.storage import Store

ROOT = Path(__file__).resolve().parents[2]


def start_writer(db_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.storage.write_forever", str(db_path)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def wait_flushed(proc: subprocess.Popen, batches: int) -> tuple[str, int]:
    for _ in range(batches):
        line = proc.stdout.readline()
        assert line.startswith("flushed "), f"writer said {line!r}"
    _, run_id, count = line.split()
    return run_id, int(count)


def test_a_killed_writer_leaves_a_readable_database_and_an_interrupted_run(db_path):
    proc = start_writer(db_path)
    try:
        run_id, flushed = wait_flushed(proc, 5)
        with Store.open(db_path) as store:
            assert store.mark_interrupted() == []          # still alive: not touched
            assert store.get_run(run_id)["status"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store.open(db_path) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = store.load_events(run_id)
        assert len(events) >= flushed                        # everything flushed before the kill is there
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert store.get_run(run_id)["status"] == "running"
        assert store.mark_interrupted() == [run_id]
        run = store.get_run(run_id)
        assert run["status"] == "interrupted" and run["ended_at"] == events[-1].ts
        assert run["subcalls"] >= 100 and run["input_tokens"] == 10 * run["subcalls"]
        nodes = store.load_nodes(run_id)
        assert not [n for n in nodes if n["status"] == "running"]
        assert {n["status"] for n in nodes if n["kind"] == "iteration"} == {"interrupted"}
        assert store.mark_interrupted() == []                # only once
