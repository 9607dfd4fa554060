"""Each item of a batched sub-call carries its own usage, as its own HTTP response reported it (the
official package copies the last call's usage to every item). A real engine run, a real sandbox, a real
HTTP server that answers every request with different usage."""

from __future__ import annotations

import asyncio
import json
import re

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.models.registry import ModelSettings
from tests.models.fake_openai_server import FakeOpenAIServer

SUB = "openai/fake-model"
ITEMS = [f"item {k}: summarise part {k}" for k in (1, 2, 3, 4, 5, 6)]


def _item_number(body: dict) -> int:
    prompt = body["messages"][-1]["content"]
    return int(re.search(r"item (\d+):", prompt).group(1))


def test_each_batched_item_has_the_usage_its_own_response_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-batch-usage-0000")
    root = tmp_path / "root.json"
    root.write_text(json.dumps({"responses": [
        f"```repl\nanswers = llm_query_batched({ITEMS!r})\nprint(answers)\n```", "FINAL(done)"]}))
    events: list = []
    with FakeOpenAIServer() as server:
        server.usage_for = lambda body: (100 * _item_number(body), 10 * _item_number(body) + 1)
        server.answer_for = lambda body: f"answer {_item_number(body)}"
        server.gate_at = 4                               # the default concurrency per model: 4 at once
        settings = RunSettings(root_model=f"script:{root}", sub_model=SUB, cell_timeout_s=120)
        session = RlmSession("q", "ctx", settings, sinks=[events.append],
                             model_settings=ModelSettings(api_bases={SUB: server.base_url}, max_retries=0))
        result = asyncio.run(session.run())
        assert len(server.chat_requests()) == len(ITEMS)
        assert server.gate_opened.is_set() and server.max_in_flight == 4    # they really ran at the same time
    assert result.status == "completed", result.error
    started = {e.node_id: e for e in events if e.kind == "subcall_started"}
    finished = [e for e in events if e.kind == "subcall_finished"]
    assert len(finished) == len(ITEMS)
    for event in finished:
        k = int(re.search(r"item (\d+):", started[event.node_id].prompt).group(1))
        assert event.response == f"answer {k}"
        assert event.usage["input_tokens"] == 100 * k and event.usage["output_tokens"] == 10 * k + 1
        assert not event.usage.get("estimated")
        assert started[event.node_id].batch_index == k - 1
    sub_in = sum(100 * k for k in range(1, 7))
    sub_out = sum(10 * k + 1 for k in range(1, 7))
    root_calls = [e for e in events if e.kind == "model_call_finished"]
    root_in = sum(e.usage["input_tokens"] for e in root_calls)
    root_out = sum(e.usage["output_tokens"] for e in root_calls)
    assert result.totals["input_tokens"] == sub_in + root_in
    assert result.totals["output_tokens"] == sub_out + root_out
