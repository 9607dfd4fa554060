"""The whole path with the real bundled model over HTTP: a scripted root, SmolLM2 answering sub-calls."""

from __future__ import annotations

import pytest

from rlm_studio.engine.settings import RunSettings

from .scripts import kinds, repl, run_session, script


@pytest.mark.local_model
def test_subcalls_answered_by_the_bundled_model(tmp_path, bundled_server):
    root = script(tmp_path, "root", responses=[
        repl("a = llm_query('Say hello in one word.')\n"
             "b = llm_query_batched(['Name a colour.', 'Name a fruit.'])\n"
             "print(repr(a)[:80], len(b))"),
        repl("FINAL(a)"),
    ])
    result, events = run_session("q", "some context", RunSettings(root_model=root, sub_model="bundled"))
    assert result.status == "completed" and result.answer
    subcalls = kinds(events, "subcall_finished")
    assert len(subcalls) == 3 and not any(s.error for s in subcalls)
    for s in subcalls:
        assert s.usage["input_tokens"] > 0 and s.usage["output_tokens"] > 0
        assert s.cost_usd == 0.0 and s.latency_ms > 0 and s.response
    assert kinds(events, "cell_finished")[0].stdout.strip().endswith(" 2")


@pytest.mark.local_model
def test_the_bundled_model_as_root_runs_end_to_end(tmp_path, bundled_server):
    result, events = run_session("What is the first word of the context?", "Zebra crossing ahead. " * 50,
                                 RunSettings(root_model="bundled", max_iterations=2, cell_timeout_s=20))
    # a 135M model rarely solves it; the point is that every step of the real path ran and was recorded
    assert result.status in ("completed", "limit_hit")
    calls = kinds(events, "model_call_finished")
    assert calls and all(c.usage["output_tokens"] > 0 and c.cost_usd == 0.0 for c in calls if not c.error)
    assert kinds(events, "model_call_delta")  # the root response streamed
