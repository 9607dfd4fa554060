"""The soak's host process: `python -m tests.soak.soak_driver DB FOLDER RUNS SEED`.

Runs RUNS sessions (three at a time), each of one or two randomly chosen hostile cells (tests/soak/hostile_cells.py)
and then `FINAL(done)`, through the real sandbox with scripted root models, stored in one real SQLite
database. It is started with a fake API key in its environment and prints one JSON report: what was
tried, host failures, and runs whose stored record is not what happened.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import StorageError, Store

from .hostile_cells import HOSTILE

PROCESS_SHARE = 0.1   # runs in the plain-process fallback
CELL_TIMEOUT_S = 1.5  # a bounded cell that runs past it on a loaded machine is stopped: the run is still true
CONCURRENT_RUNS = 3   # sessions at once in this one host, as the app runs them


def _script(folder: Path, index: int, cases: list[str]) -> str:
    responses = [f"```repl\n{HOSTILE[case]}\n```" for case in cases] + ["FINAL(done)"]
    path = folder / f"root-{index}.json"
    path.write_text(json.dumps({"responses": responses}), encoding="utf-8")
    return f"script:{path}"


def _stored_problems(store: Store, run_id: str, returned_status: str) -> list[str]:
    """What is false or missing in the stored run (an empty list when it is complete and true)."""
    problems = []
    run = store.get_run(run_id)
    if run["status"] != returned_status:
        problems.append(f"stored status {run['status']!r}, the session returned {returned_status!r}")
    if returned_status != "completed" or run.get("answer") != "done":
        problems.append(f"status {run['status']!r} with answer {run.get('answer')!r}, expected completed / 'done'")
    unfinished = [n["kind"] for n in store.load_nodes(run_id) if n["status"] == "running"]
    if unfinished:
        problems.append(f"nodes left running: {unfinished}")
    kinds = Counter(event.kind for event in store.load_events(run_id))
    for started, finished in (("run_started", "run_finished"), ("cell_started", "cell_finished"),
                              ("iteration_started", "iteration_finished"),
                              ("model_call_started", "model_call_finished")):
        if kinds[started] != kinds[finished]:
            problems.append(f"{kinds[started]} {started} but {kinds[finished]} {finished}")
    return problems


async def _one(index: int, cases: list[str], isolation: str, store: Store, work: Path, report: dict[str, Any]) -> None:
    settings = RunSettings(root_model=_script(work, index, cases), max_iterations=len(cases) + 2,
                           cell_timeout_s=CELL_TIMEOUT_S, sandbox_memory_mb=512, isolation=isolation)
    session = RlmSession(f"soak run {index}: {', '.join(cases)}", "soak context " * 50, settings)
    writer = store.writer()
    session.add_sink(writer.append)
    result = None
    try:
        result = await session.run()
    except BaseException as exc:  # noqa: B036 - any exception out of a run is a host failure
        report["host_failures"].append({"run": index, "cases": cases, "error": traceback.format_exception(exc)})
    finally:
        try:
            await asyncio.to_thread(writer.close)
        except StorageError as exc:
            report["host_failures"].append({"run": index, "cases": cases, "error": f"storage: {exc}"})
    report["runs"] += 1
    report["isolation"][isolation] += 1
    if result is None:
        return
    report["statuses"][result.status] += 1
    if result.status == "failed":
        report["host_failures"].append({"run": index, "cases": cases, "error": result.error})
    problems = _stored_problems(store, result.run_id, result.status)
    if problems:
        report["false_status"].append({"run": index, "run_id": result.run_id, "cases": cases, "problems": problems})
    report["run_ids"].append(result.run_id)


async def _all(db: str, folder: str, runs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    names = sorted(HOSTILE)
    tried: Counter[str] = Counter()
    report: dict[str, Any] = {"runs": 0, "host_failures": [], "false_status": [], "isolation": Counter(),
                              "statuses": Counter(), "run_ids": []}
    plan = []
    for index in range(runs):
        cases = rng.sample(names, rng.choice((1, 2)))
        tried.update(cases)
        looks_for_keys = "read /proc environ" in cases and rng.random() < 0.5  # where a key would be in reach
        plan.append((index, cases, "process" if looks_for_keys or rng.random() < PROCESS_SHARE else "bwrap"))
    store = Store.open(db)
    slots = asyncio.Semaphore(CONCURRENT_RUNS)

    async def guarded(index: int, cases: list[str], isolation: str) -> None:
        async with slots:
            await _one(index, cases, isolation, store, Path(folder), report)

    try:
        await asyncio.gather(*(guarded(*item) for item in plan))
    finally:
        store.close()
    report["hostile_cases_tried"] = sum(tried.values())
    report["distinct_hostile_cases"] = len(tried)
    report["per_case"] = dict(tried)
    return report


def main(db: str, folder: str, runs: int, seed: int) -> dict[str, Any]:
    return asyncio.run(_all(db, folder, runs, seed))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])), default=str))
