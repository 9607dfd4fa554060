"""The bundled model (real llama.cpp server over HTTP) runs a small S-NIAH suite end to end: every task completes
as a stored run and is scored (the score of a 135M model is whatever it is)."""

from __future__ import annotations

import json

import pytest

from rlm_studio.bench.store import BenchStore
from rlm_studio.cli.main import main
from rlm_studio.storage import Store


def _bench(tmp_path, capsys, *argv: str) -> tuple[str, list[dict]]:
    db = str(tmp_path / "r.db")
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--root-model", "bundled", "--db", db, "--json",
                 "--model-timeout", "600", *argv])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "completed", out
    with BenchStore(db) as bench_store:
        return db, bench_store.tasks(out["bench_id"])


def _answered(db: str, rows: list[dict]) -> list[dict]:
    runs = []
    with Store.open(db) as store:
        for row in rows:
            assert row["status"] == "done" and row["score"] is not None, row
            run = store.get_run(row["run_id"])
            # the model answered (a failed run here means the server did not: that is a real failure)
            assert run["root_model"] == "bundled" and run["status"] in ("completed", "limit_hit"), row["error"]
            assert run["input_tokens"] > 0 and run["output_tokens"] > 0
            runs.append(run)
    return runs


# a loaded 2-core machine makes this tiny model very slow (minutes per call at load 15): room, not a threshold
@pytest.mark.local_model
@pytest.mark.timeout(1200)
def test_bundled_model_runs_a_small_sniah_suite_as_an_rlm(tmp_path, capsys, bundled_server):
    db, rows = _bench(tmp_path, capsys, "--tasks", "2", "--methods", "rlm", "--max-iterations", "1",
                      "--max-output-tokens", "200", "--cell-timeout", "20")
    assert len(rows) == 2
    for run in _answered(db, rows):
        assert run["iterations"] == 1


@pytest.mark.local_model
@pytest.mark.timeout(1200)
def test_bundled_model_as_base_gets_the_context_cut_to_its_window(tmp_path, capsys, bundled_server):
    db, rows = _bench(tmp_path, capsys, "--tasks", "1", "--methods", "base", "--max-output-tokens", "32")
    (run,) = _answered(db, rows)
    cut = run["settings"]["extra"]["context_cut"]   # 8k of context does not fit SmolLM2's window with the prompt
    assert cut["cut_chars"] > 0 and cut["prompt_tokens"] <= bundled_server.n_ctx
