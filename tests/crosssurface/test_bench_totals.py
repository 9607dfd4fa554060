"""A bench's stored figures are the run's Totals: each task's tokens and cost, and the totals its run reports
(RunResult / run_finished), equal the tree folded from the stored events, for every method (REPL or not)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rlm_studio.bench.runner import BenchRunner
from rlm_studio.cli.main import main
from rlm_studio.engine.events import RunFinished
from rlm_studio.engine.run_tree import RunTree, Totals
from rlm_studio.storage import Store

from ..bench.scripts import ORACLE_CODE, write_script


@pytest.fixture(scope="module")
def bench_tasks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("bench_totals")
    db = tmp / "runs.db"
    oracle = write_script(tmp, "oracle", ORACLE_CODE, cost_usd=0.00125)
    assert main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods", "rlm,base,summary,bm25",
                 "--root-model", oracle, "--db", str(db), "--json"]) == 0
    runner = BenchRunner(str(db))
    [bench] = runner.bench_store.list_benches()
    rows = runner.bench_store.tasks(bench["id"])
    runner.close()
    assert sorted(r["method"] for r in rows) == ["base", "bm25", "rlm", "summary"]
    return db, rows


def test_each_task_stores_its_runs_tokens_and_cost(bench_tasks: tuple[Path, list[dict[str, Any]]]) -> None:
    db, rows = bench_tasks
    with Store.open(db) as store:
        for row in rows:
            totals = RunTree.from_events(store.load_events(row["run_id"])).totals()
            assert totals.model_calls >= 1, row["method"]
            assert (row["input_tokens"], row["output_tokens"]) == (totals.input_tokens, totals.output_tokens), row
            assert row["cost_usd"] == pytest.approx(totals.cost_usd) and not row["cost_unknown"], row
            assert row["cost_usd"] == pytest.approx(0.00125 * totals.model_calls), row


def test_the_totals_a_run_reports_are_its_trees(bench_tasks: tuple[Path, list[dict[str, Any]]]) -> None:
    """run_finished.totals (what RunResult.totals held) name every count, with the tree's values."""
    db, rows = bench_tasks
    with Store.open(db) as store:
        for row in rows:
            events = store.load_events(row["run_id"])
            [finished] = [e for e in events if isinstance(e, RunFinished) and e.parent_id is None]
            reported = finished.totals
            tree_totals = RunTree.from_events(events).totals()
            assert set(tree_totals.to_dict()) <= set(reported), (row["method"], sorted(reported))
            assert Totals.from_dict(reported).counts() == tree_totals.counts(), row["method"]
            stored = store.get_run(row["run_id"])
            assert Totals.from_dict(stored["totals"]).counts() == tree_totals.counts(), row["method"]
            assert json.loads(json.dumps(reported))["max_depth_reached"] == tree_totals.max_depth
