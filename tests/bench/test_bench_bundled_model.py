"""The bundled model (real llama.cpp server over HTTP) runs a small S-NIAH suite end to end: every task completes
as a stored run and is scored (the score of a 135M model is whatever it is)."""

from __future__ import annotations

import json

import pytest

from rlm_studio.bench.store import BenchStore
from rlm_studio.cli.main import main
from rlm_studio.storage import Store


@pytest.mark.local_model
def test_bundled_model_runs_a_small_sniah_suite(tmp_path, capsys, bundled_server):
    db = str(tmp_path / "r.db")
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "2", "--methods", "rlm,base",
                 "--root-model", "bundled", "--max-iterations", "2", "--cell-timeout", "20", "--db", db, "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "completed"
    with BenchStore(db) as bench_store:
        rows = bench_store.tasks(out["bench_id"])
    assert len(rows) == 4 and all(r["status"] == "done" and r["score"] is not None for r in rows)
    with Store.open(db) as store:
        for row in rows:
            run = store.get_run(row["run_id"])
            # the model answered (a failed run here means the server did not: that is a real failure)
            assert run["root_model"] == "bundled" and run["status"] in ("completed", "limit_hit"), row["error"]
            assert run["input_tokens"] > 0 and run["output_tokens"] > 0
            if row["method"] == "base":   # 8k of context does not fit SmolLM2's window: cut, and the cut recorded
                cut = run["settings"]["extra"]["context_cut"]
                assert cut["cut_chars"] > 0 and cut["prompt_tokens"] <= bundled_server.n_ctx
