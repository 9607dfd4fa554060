"""resolve_model and list_models: specs, errors at resolve time, cheap import, picker entries."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from rlm_studio.models import local_server
from rlm_studio.models.discovery import ServerProbe
from rlm_studio.models.litellm_client import LiteLLMModel
from rlm_studio.models.local_server import BASE_MODEL_NOTE, BUNDLED_MODEL_NOTE
from rlm_studio.models.registry import ModelSettings, UnknownModelError, list_models, resolve_model
from rlm_studio.models.scripted import ScriptedModel, ScriptFileError
from rlm_studio.models.types import ModelClient
from tests.models.fake_openai_server import FakeOpenAIServer


def test_script_spec(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(json.dumps({"responses": ["FINAL(42)"]}))
    model = resolve_model(f"script:{path}")
    assert isinstance(model, ScriptedModel) and isinstance(model, ModelClient)
    assert asyncio.run(model.complete([{"role": "user", "content": "q"}])).content == "FINAL(42)"


@pytest.mark.parametrize("content", [None, "{broken", "[1, 2]"])
def test_bad_script_file(tmp_path, content):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ScriptFileError, match="bad.json"):
        resolve_model(f"script:{path}")


def test_bundled_is_the_default_and_is_not_started_at_resolve():
    server = local_server.bundled_server()
    starts = server.starts
    for spec in ("bundled", "", None):
        model = resolve_model(spec)
        assert isinstance(model, LiteLLMModel) and model.name == "bundled"
        assert model.is_local and model.context_window == local_server.BUNDLED_N_CTX
    assert server.starts == starts


def test_users_openai_key_is_not_sent_to_the_bundled_server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-real-key-0000")
    assert resolve_model("bundled")._key() == "sk-bundled-no-key"
    assert resolve_model("gpt-4o-mini")._key() == "sk-users-real-key-0000"


def test_self_hosted_server_without_a_key_is_called(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAIServer() as srv:
        model = resolve_model("openai/fake-model", ModelSettings(api_bases={"openai/fake-model": srv.base_url}))
        assert asyncio.run(model.complete([{"role": "user", "content": "hi"}])).content
        assert srv.chat_requests()[0]["headers"]["authorization"] == "Bearer sk-no-key"


def test_default_model_from_settings():
    model = resolve_model("", ModelSettings(default_model="gpt-4o-mini"))
    assert model.name == "gpt-4o-mini" and not model.is_local


def test_hosted_model_gets_window_from_litellm_table():
    model = resolve_model("gpt-4o-mini")
    assert model.provider == "openai" and model.context_window == 128_000 and model.is_local is False


def test_settings_are_applied():
    settings = ModelSettings(timeout_s=7, max_retries=1, concurrency={"anthropic/claude-sonnet-4-5": 9},
                             context_windows={"anthropic/claude-sonnet-4-5": 1000})
    model = resolve_model("anthropic/claude-sonnet-4-5", settings)
    assert (model.timeout_s, model.max_retries, model.concurrency, model.context_window) == (7, 1, 9, 1000)


@pytest.mark.parametrize("spec", ["gpt-99-imaginary", "foo/bar", "my-model"])
def test_unknown_model_is_a_clear_error_at_resolve_time(spec):
    with pytest.raises(UnknownModelError, match=f"Unknown model '{spec}'.*provider/model"):
        resolve_model(spec)


def test_openai_compatible_local_server_via_api_base():
    with FakeOpenAIServer() as srv:
        model = resolve_model("openai/fake-model", ModelSettings(api_bases={"openai/fake-model": srv.base_url}))
        assert model.is_local
        assert asyncio.run(model.complete([{"role": "user", "content": "hi"}])).content


@pytest.mark.parametrize("kwargs", [{"timeout_s": 0}, {"max_retries": -1}, {"default_concurrency": 0}])
def test_bad_settings(kwargs):
    with pytest.raises(ValueError):
        ModelSettings(**kwargs)


def test_import_is_cheap():
    code = ("import sys; import rlm_studio.models.registry; print(); "
            "print(','.join(m for m in ('litellm', 'httpx', 'keyring', 'openai') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[1] == ""  # none of the heavy modules: their cost is paid on first use (speed: benchmarks/)


def test_list_models(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-000000000000")
    with FakeOpenAIServer(model_ids=("qwen2.5-7b",)) as srv:
        choices = asyncio.run(list_models(ModelSettings(default_model="openai/custom"),
                                          probes=[ServerProbe("LM Studio", srv.port, "openai")]))
    by_spec = {c.spec: c for c in choices}
    # the RLM adapter ships in resources/models: `bundled` is the adapted model, `bundled-base` the plain one
    assert by_spec["bundled"].is_local and by_spec["bundled"].note == BUNDLED_MODEL_NOTE
    assert by_spec["bundled-base"].is_local and by_spec["bundled-base"].note == BASE_MODEL_NOTE
    assert by_spec["openai/qwen2.5-7b"].api_base == srv.base_url and by_spec["openai/qwen2.5-7b"].source == "local"
    assert by_spec["gpt-5-mini"].source == "openai"
    assert "openai/custom" in by_spec
    assert list(by_spec)[0] == "bundled"
