"""The cost estimate prices tokens with litellm's table (an unknown price stays unknown); the summary agent reads
the context chunk by chunk, one model call per iteration, and answers from its notes."""

from __future__ import annotations

import json

from rlm_studio.bench.estimate import estimate
from rlm_studio.bench.spec import TaskSpec
from rlm_studio.bench.store import BenchStore
from rlm_studio.bench.tasks import sniah
from rlm_studio.cli.main import main
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store


def _spec(method: str, root: str, sub: str | None = None) -> TaskSpec:
    task = sniah.generate(1, 32768, seed=0)[0]
    return TaskSpec("b", task, method, "", RunSettings(root_model=root, sub_model=sub).to_dict(), "r")


def test_estimate_uses_litellm_prices_and_keeps_unknown_unknown():
    priced = estimate([_spec("base", "openai/gpt-4o-mini"), _spec("rlm", "openai/gpt-4o-mini")])
    assert priced.known and priced.cost_usd > 0
    assert priced.input_tokens > 32768          # base reads the context; rlm's sub-calls read it again
    # gpt-4o-mini: $0.15 / 1M input tokens, $0.60 / 1M output: the estimate is that price times its tokens
    assert abs(priced.cost_usd - (priced.input_tokens * 0.15 + priced.output_tokens * 0.60) / 1e6) < 1e-9
    unknown = estimate([_spec("base", "openai/no-such-model-here")])
    assert not unknown.known and "openai/no-such-model-here" in unknown.describe()
    local = estimate([_spec("rlm", "bundled")])
    assert local.known and local.cost_usd == 0.0


def test_summary_agent_reads_chunk_by_chunk(tmp_path, capsys):
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"rules": [{"match": "Your notes on the text", "content": "1234567"},
                                           {"match": "", "content": "notes: nothing yet"}],
                                 "context_window": 2048}))
    db = str(tmp_path / "r.db")
    assert main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "1", "--methods", "summary",
                 "--root-model", f"script:{small}", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with BenchStore(db) as bench_store:
        row = bench_store.tasks(out["bench_id"])[0]
    with Store.open(db) as store:
        run = store.get_run(row["run_id"])
        chunks = run["settings"]["extra"]["chunks"]
        assert chunks >= 4 and run["iterations"] == chunks + 1          # one call per chunk, then the answer
        calls = [e for e in store.load_events(row["run_id"]) if e.kind == "model_call_started"]
        assert len(calls) == chunks + 1 and all(c.prompt_tokens <= 2048 for c in calls)
        assert "notes: nothing yet" in calls[-1].messages[-1]["content"]
    assert row["answer"] == "1234567"
