"""Retries, timeouts and every error kind, against a real HTTP server speaking the OpenAI format."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from rlm_studio.models.errors import parse_retry_after
from rlm_studio.models.types import ModelError
from tests.models.fake_openai_server import FakeOpenAIServer, Reply, error_body
from tests.models.helpers import MESSAGES, TEST_KEY, fake_model


@pytest.fixture
def server():
    with FakeOpenAIServer() as srv:
        yield srv


def run(coro):
    return asyncio.run(coro)


def fail(model, **kwargs) -> ModelError:
    with pytest.raises(ModelError) as info:
        run(model.complete(MESSAGES, **kwargs))
    return info.value


def test_exact_usage_and_resolved_model(server):
    response = run(fake_model(server).complete(MESSAGES))
    assert response.content == "Hello from the fake server."
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    assert (response.usage.cached_tokens, response.usage.reasoning_tokens) == (3, 2)
    assert response.usage.estimated is False
    assert response.model == "fake-model-2024"
    assert response.retries == 0 and response.latency_ms > 0 and response.finish_reason == "stop"
    assert response.cost_usd == 0.0  # 127.0.0.1 is local
    assert len(server.chat_requests()) == 1
    assert server.chat_requests()[0]["headers"]["authorization"] == f"Bearer {TEST_KEY}"


def test_missing_usage_is_estimated_and_marked(server):
    server.queue(Reply(usage=False, content="four words right here"))
    response = run(fake_model(server).complete(MESSAGES))
    assert response.usage.estimated is True
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0


def test_streaming_sends_pieces_and_exact_usage(server):
    server.queue(Reply(content="one two three four"))
    pieces: list[str] = []
    response = run(fake_model(server).complete(MESSAGES, stream=pieces.append))
    assert len(pieces) == 4 and "".join(pieces) == "one two three four" == response.content
    assert server.chat_requests()[0]["body"]["stream_options"] == {"include_usage": True}
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.estimated) == (11, 7, False)


def test_streaming_without_provider_usage_is_estimated(server):
    server.queue(Reply(content="one two", usage=False))
    response = run(fake_model(server).complete(MESSAGES, stream=lambda piece: None))
    assert response.content == "one two" and response.usage.estimated is True


def test_stream_callback_error_is_raised_unchanged_and_not_retried(server):
    def broken(piece: str) -> None:
        raise KeyError("callback bug")

    with pytest.raises(KeyError, match="callback bug"):
        run(fake_model(server).complete(MESSAGES, stream=broken))
    assert len(server.chat_requests()) == 1


def test_429_honours_retry_after_then_succeeds(server):
    server.queue(Reply(status=429, headers={"Retry-After": "1"}, body=error_body("slow down", "rate_limit")))
    started = time.monotonic()
    response = run(fake_model(server, backoff_base_s=0.0, backoff_max_s=0.0).complete(MESSAGES))
    assert time.monotonic() - started >= 0.95  # waited as the server asked, not the (zero) backoff
    assert response.retries == 1 and response.content
    assert len(server.chat_requests()) == 2


def test_429_after_all_retries_is_rate_limit(server):
    server.queue(*[Reply(status=429, body=error_body("Rate limit reached", "rate_limit"))] * 3)
    error = fail(fake_model(server, max_retries=2))
    assert error.kind == "rate_limit" and error.status_code == 429 and error.retries == 2
    assert "rate-limiting" in error.message and "after 2 retries" in error.message
    assert len(server.chat_requests()) == 3  # litellm and the OpenAI SDK did not retry on their own


def test_500_is_retried_then_succeeds(server):
    server.queue(Reply(status=500), Reply(status=503))
    response = run(fake_model(server).complete(MESSAGES))
    assert response.retries == 2 and response.content
    assert len(server.chat_requests()) == 3


def test_500_after_all_retries_is_server_error(server):
    server.queue(*[Reply(status=500, body=error_body("boom inside", "server_error"))] * 2)
    error = fail(fake_model(server, max_retries=1))
    assert error.kind == "server" and error.status_code == 500 and error.retries == 1
    assert "server error (HTTP 500)" in error.message and "boom inside" in error.message


def test_slow_reply_times_out_and_is_retried(server):
    late = threading.Event()       # the server answers only after the client gave up, twice
    server.queue(Reply(hold=late), Reply(hold=late))
    try:
        error = fail(fake_model(server, max_retries=1), timeout=2.0)   # long enough to send on a busy machine
        assert not late.is_set()   # so the client can only have returned by its own timeout
    finally:
        late.set()
    assert error.kind == "timeout" and error.retries == 1
    assert "within 2 s" in error.message
    assert len(server.chat_requests()) == 2


def test_timeout_then_success(server):
    late = threading.Event()
    server.queue(Reply(hold=late))
    try:
        response = run(fake_model(server, max_retries=1).complete(MESSAGES, timeout=3.0))
    finally:
        late.set()
    assert response.retries == 1 and response.content
    assert len(server.chat_requests()) == 2


def test_a_stream_that_keeps_coming_is_not_cut_by_the_timeout(server):
    # 8 pieces 0.5 s apart: the answer takes 4 s or more in all, twice the 2 s timeout, but never
    # waits 2 s for its next piece (the bundled model streaming slowly on a busy CPU)
    server.queue(Reply(content="one two three four five six seven", piece_interval_s=0.5))
    pieces: list[str] = []
    started = time.monotonic()
    response = run(fake_model(server, max_retries=0).complete(MESSAGES, timeout=2.0, stream=pieces.append))
    assert time.monotonic() - started > 2.0  # the whole answer took longer than the timeout
    assert response.content == "one two three four five six seven" and "".join(pieces) == response.content
    assert response.retries == 0 and len(server.chat_requests()) == 1


def test_a_stream_that_stops_coming_times_out(server):
    late = threading.Event()  # the stream never opens until the client gave up
    server.queue(Reply(hold=late))
    try:
        error = fail(fake_model(server, max_retries=0), timeout=2.0, stream=lambda piece: None)
        assert not late.is_set()
    finally:
        late.set()
    assert error.kind == "timeout" and "within 2 s" in error.message


def test_401_is_auth_not_retried_and_key_masked(server):
    server.queue(Reply(status=401, body=error_body(f"Incorrect API key provided: {TEST_KEY}",
                                                   "invalid_request_error", "invalid_api_key")))
    error = fail(fake_model(server))
    assert error.kind == "auth" and error.status_code == 401 and error.retries == 0
    assert "rejected the API key" in error.message and "sk-...abcd" in error.message
    for text in (str(error), repr(error), error.message, str(error.to_dict())):
        assert TEST_KEY not in text
    assert len(server.chat_requests()) == 1


def test_404_is_model_not_found(server):
    server.queue(Reply(status=404, body=error_body("The model `fake-model` does not exist", "invalid_request_error",
                                                   "model_not_found")))
    error = fail(fake_model(server))
    assert error.kind == "not_found" and error.status_code == 404
    assert "'openai/fake-model' was not found" in error.message and "does not exist" in error.message


def test_malformed_json_is_malformed_and_not_retried(server):
    server.queue(Reply(body="{this is not json"))
    error = fail(fake_model(server))
    assert error.kind == "malformed" and "could not be read" in error.message
    assert len(server.chat_requests()) == 1


def test_answer_without_choices_is_malformed(server):
    server.queue(Reply(body={"id": "x", "object": "chat.completion", "model": "m"}))
    assert fail(fake_model(server)).kind == "malformed"


def test_server_side_context_error_is_context_window(server):
    server.queue(Reply(status=400, body=error_body("This model's maximum context length is 8192 tokens",
                                                   "invalid_request_error", "context_length_exceeded")))
    assert fail(fake_model(server)).kind == "context_window"


def test_other_400_is_bad_request(server):
    server.queue(Reply(status=400, body=error_body("temperature must be <= 2", "invalid_request_error")))
    error = fail(fake_model(server))
    assert error.kind == "bad_request" and "temperature must be <= 2" in error.message


def test_too_long_prompt_is_refused_before_sending(server):
    model = fake_model(server, context_window=50)
    with pytest.raises(ModelError) as info:
        run(model.complete([{"role": "user", "content": "word " * 500}]))
    error = info.value
    assert error.kind == "context_window" and "context window of 50 tokens" in error.message
    assert server.chat_requests() == []


def test_unknown_window_means_no_check(server):
    response = run(fake_model(server, context_window=None).complete([{"role": "user", "content": "x " * 5000}]))
    assert response.content


def test_window_from_local_server_when_litellm_does_not_know():
    with FakeOpenAIServer(max_model_len=4096) as srv:
        model = fake_model(srv)
        model.context_window = None
        from rlm_studio.models.litellm_client import LiteLLMModel
        probed = LiteLLMModel("openai/fake-model", api_base=srv.base_url)
        assert probed.context_window == 4096


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_connection_error_after_retries():
    from rlm_studio.models.litellm_client import LiteLLMModel
    base = f"http://127.0.0.1:{_closed_port()}/v1"
    model = LiteLLMModel("openai/fake-model", api_base=base, max_retries=2, backoff_base_s=0.01,
                         context_window=None)
    error = fail(model)
    assert error.kind == "connection" and error.retries == 2
    assert base in error.message and "not running" in error.message


def test_concurrency_limit_per_model(server):
    """The server answers one request at a time, and only while two are waiting (or all that are left):
    a client that sent more than two at once would be seen with more in flight."""
    server.permits = threading.Semaphore(0)
    model = fake_model(server, concurrency=2)
    results: list = []

    async def many():
        return await asyncio.gather(*(model.complete(MESSAGES) for _ in range(6)))

    client = threading.Thread(target=lambda: results.extend(run(many())))
    client.start()
    try:
        for released in range(6):
            def waiting(released: int = released) -> int:   # arrived, and not yet let through
                return server.in_flight - (released - server.answered)

            with server.arrived:
                assert server.arrived.wait_for(lambda: waiting() >= min(2, 6 - released), timeout=60)  # noqa: B023
            server.permits.release()
    finally:
        for _ in range(6):
            server.permits.release()
        client.join()
    assert len(results) == 6 and all(r.content for r in results)
    assert server.max_in_flight == 2


def test_missing_key_for_hosted_provider_is_refused_before_sending(monkeypatch):
    from rlm_studio.models.litellm_client import LiteLLMModel
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    error = fail(LiteLLMModel("gpt-4o-mini", max_retries=0))
    assert error.kind == "auth" and "OPENAI_API_KEY" in error.message


@pytest.mark.parametrize("value, expected", [("2", 2.0), ("0.5", 0.5), ("nonsense", None), (None, None)])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)


def test_backoff_grows_with_jitter_and_retry_after_is_capped(server):
    from rlm_studio.models.errors import Failure
    model = fake_model(server, backoff_base_s=1.0, backoff_max_s=5.0, max_retry_after_s=30.0)
    plain = Failure("server", 500, "x")
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 5.0)]:
        waits = {model._backoff(attempt, plain) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(waits) > 1
    assert model._backoff(0, Failure("rate_limit", 429, "x", retry_after_s=7.0)) == 7.0
    assert model._backoff(0, Failure("rate_limit", 429, "x", retry_after_s=3600.0)) == 30.0
