"""Prompt caching: cached input tokens recorded and priced as cached, Anthropic's cache_control markers sent.

Real parts: HTTP servers on 127.0.0.1 (the OpenAI-format fake, and a small Anthropic Messages endpoint
here), litellm building and parsing the requests, the engine running a root loop, a real SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rlm_studio.engine.history import History, Turn, shared_prefix_messages
from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.models.litellm_client import LiteLLMModel
from rlm_studio.models.pricing import table_cost
from rlm_studio.models.types import Usage, estimate_message_tokens
from rlm_studio.storage import Store
from tests.models.fake_openai_server import FakeOpenAIServer
from tests.models.helpers import MESSAGES, TEST_KEY
from tests.support.scripts import repl

PRICE = {"input": 2.0, "output": 8.0, "cached_input": 0.5}   # $ per 1M tokens


def _answer(body: dict[str, Any]) -> str:
    return repl("x = 6 * 7\nprint(x)") if len(body["messages"]) <= 2 else "FINAL(42)"


def test_cached_tokens_from_the_provider_are_recorded_and_priced_as_cached(tmp_path: Path) -> None:
    """A two-iteration run whose provider reports its second call's prefix as cached: the events, the
    stored run and its totals carry the cached tokens, and the cost uses the cached price."""
    with FakeOpenAIServer() as server:
        server.answer_for = _answer
        server.usage_for = lambda body: (100 * len(body["messages"]), 5)
        server.cached_for = lambda body: 100 * (len(body["messages"]) - 2)   # all but the two new messages
        model = LiteLLMModel("openai/fake-model", api_base=server.base_url, api_key=TEST_KEY, is_local=False,
                             context_window=None, max_retries=0, price_overrides={"fake-model": PRICE})
        events: list[Any] = []
        with Store.open(tmp_path / "runs.db") as store:
            writer = store.writer()
            session = RlmSession("What is six times seven?", "some context " * 20,
                                 RunSettings(root_model="fake-root", max_iterations=4),
                                 sinks=[events.append, writer], resolver=lambda spec: model)
            result = asyncio.run(session.run())
            writer.close()
            stored = [e for e in store.load_events(session.run_id) if e.kind == "model_call_finished"]
            tree = store.load_tree(session.run_id)
        streamed = [r["body"].get("stream") for r in server.chat_requests()]

    assert result.status == "completed" and result.answer == "42"
    assert streamed == [True, True]            # the engine streams root calls: usage came in the last chunk
    calls = [e for e in events if e.kind == "model_call_finished"]
    assert [(c.usage["input_tokens"], c.usage["cached_tokens"]) for c in calls] == [(200, 0), (400, 200)]
    assert calls[0].cost_usd == pytest.approx((200 * 2.0 + 5 * 8.0) / 1e6)
    assert calls[1].cost_usd == pytest.approx((200 * 2.0 + 200 * 0.5 + 5 * 8.0) / 1e6)   # not 400 * 2.0
    assert [(c.usage["cached_tokens"], c.cost_usd) for c in stored] == [(c.usage["cached_tokens"], c.cost_usd)
                                                                         for c in calls]
    assert tree.totals().cached_tokens == 200 and result.totals["cached_tokens"] == 200   # stored and live
    assert result.totals["cost_usd"] == pytest.approx((440 + 540) / 1e6)


def test_the_price_table_prices_cached_tokens_below_full_input() -> None:
    """Without an override, litellm's table prices an OpenAI model's cached tokens at its cached rate."""
    with FakeOpenAIServer(answer_model="gpt-4o-mini") as server:
        server.usage_for = lambda body: (10_000, 100)
        server.cached_for = lambda body: 8_000
        model = LiteLLMModel("openai/gpt-4o-mini", api_base=server.base_url, api_key=TEST_KEY, is_local=False,
                             context_window=None, max_retries=0)
        response = asyncio.run(model.complete(MESSAGES))
    assert (response.usage.input_tokens, response.usage.cached_tokens) == (10_000, 8_000)
    full = table_cost("openai/gpt-4o-mini", Usage(input_tokens=10_000, output_tokens=100))
    assert response.cost_usd is not None and full is not None
    assert 0 < response.cost_usd < full
    # plain string content: providers that cache by themselves get no markers
    assert all(isinstance(m["content"], str) for m in server.chat_requests()[0]["body"]["messages"])


class _AnthropicServer:
    """Answers POSTs in Anthropic's Messages format with prompt-cache usage; keeps every request body."""

    def __init__(self, usage: dict[str, int]) -> None:
        self.bodies: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.bodies.append(json.loads(raw or b"{}"))
                payload = json.dumps({
                    "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
                    "content": [{"type": "text", "text": "FINAL(42)"}], "stop_reason": "end_turn",
                    "stop_sequence": None, "usage": usage}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> _AnthropicServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def anthropic() -> Iterator[_AnthropicServer]:
    usage = {"input_tokens": 40, "output_tokens": 5, "cache_read_input_tokens": 3000,
             "cache_creation_input_tokens": 500}
    with _AnthropicServer(usage) as server:
        yield server


def _root_messages() -> list[dict[str, str]]:
    history = History(system="You are an RLM. " * 50, first_user="The question, and the context's description.")
    history.turns.append(Turn(1, repl("print(len(context))"), "Output: 1234"))
    history.turns.append(Turn(2, repl("print(context[:10])"), "Output: first bytes"))
    return history.messages()


def test_anthropic_requests_mark_the_stable_prefix_and_the_newest_message(anthropic: _AnthropicServer) -> None:
    messages = _root_messages()
    original = json.dumps(messages)
    model = LiteLLMModel("anthropic/claude-haiku-4-5", api_base=anthropic.base_url, api_key=TEST_KEY,
                         is_local=False, context_window=None, max_retries=0)
    response = asyncio.run(model.complete(messages))
    body = anthropic.bodies[0]

    # the system prompt, as Anthropic's top-level system blocks, ends in a cache breakpoint
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["system"][-1]["text"] == messages[0]["content"]
    sent = body["messages"]
    assert sent[0]["role"] == "user" and sent[0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sent[-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    marked = sum(1 for m in sent if isinstance(m["content"], list)
                 for block in m["content"] if "cache_control" in block)
    assert marked == 2                        # first user + newest: with the system one, 3 of Anthropic's 4
    assert json.dumps(messages) == original   # the engine's own messages are not touched

    # cache reads are recorded as cached input tokens, and priced by litellm's table with the writes
    assert response.usage.cached_tokens == 3000 and response.usage.input_tokens == 40 + 3000 + 500
    without_cache = table_cost("anthropic/claude-haiku-4-5",
                               Usage(input_tokens=3540, output_tokens=5), "anthropic")
    reads_only = table_cost("anthropic/claude-haiku-4-5",
                            Usage(input_tokens=3540, output_tokens=5, cached_tokens=3000), "anthropic")
    assert response.cost_usd is not None and without_cache is not None and reads_only is not None
    assert reads_only < response.cost_usd < without_cache   # the 500 written tokens cost above the input price


def test_markers_can_be_turned_off(anthropic: _AnthropicServer) -> None:
    model = LiteLLMModel("anthropic/claude-haiku-4-5", api_base=anthropic.base_url, api_key=TEST_KEY,
                         context_window=None, max_retries=0, prompt_cache_markers=False)
    asyncio.run(model.complete(_root_messages()))
    assert "cache_control" not in json.dumps(anthropic.bodies[0])


def _compacting_run(target: int | None) -> tuple[int, int, list[dict[str, str]], History]:
    history = History(system="system " * 40, first_user="question " * 40)
    previous: list[dict[str, str]] = []
    extended = compactions = 0
    for i in range(1, 61):
        if history.compact(estimate_message_tokens, 2_000, target):
            compactions += 1
        messages = history.messages()
        if previous and shared_prefix_messages(previous, messages) == len(previous):
            extended += 1
        previous = messages
        history.turns.append(Turn(i, repl(f"print({i})"), f"Output {i}: " + "data " * 120))
    return compactions, extended, previous, history


def test_compaction_folds_well_under_the_budget_so_later_calls_extend_the_prompt_again() -> None:
    """Once the history is over budget, one compaction makes room for several appended turns: successive
    root calls share their whole previous prompt (what a prompt cache reuses) except at a compaction."""
    compactions, extended, last, history = _compacting_run(None)
    just_under, extended_before, _, _ = _compacting_run(2_000)   # folding only to the budget, as before
    assert 0 < compactions and compactions * 1.5 < just_under
    assert extended == 59 - compactions and extended > extended_before
    assert shared_prefix_messages(last, history.messages()) >= 2   # system + first user always shared
