"""API keys: environment first, then the OS keyring; no keyring -> KeyringUnavailable; keys never shown."""

from __future__ import annotations

import asyncio
import os

import keyring
import keyring.backend
import keyring.errors
import pytest

from rlm_studio.models import credentials
from rlm_studio.models.credentials import (
    KeyringUnavailable,
    configured_providers,
    get_api_key,
    key_source,
    mask_key,
    set_api_key,
)
from tests.models.fake_openai_server import FakeOpenAIServer
from tests.models.helpers import MESSAGES

SECRET = "sk-proj-VERYSECRET-9876543210wxyz"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working in-process keyring backend, standing in for a desktop's secret service."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("no such key")
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keys(monkeypatch):
    for var in set(credentials.PROVIDER_ENV_VARS.values()):
        monkeypatch.delenv(var, raising=False)


def test_no_keyring_backend_raises_keyring_unavailable_with_env_hint(tmp_path, monkeypatch):
    from keyring.backends.fail import Keyring as FailKeyring
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())  # what this machine has: no secret service
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    try:
        with pytest.raises(KeyringUnavailable) as info:
            set_api_key("openai", SECRET)
    finally:
        keyring.set_keyring(previous)
    message = str(info.value)
    assert "export OPENAI_API_KEY=" in message and "no OS keyring" in message
    assert SECRET not in message
    written = [p for p in tmp_path.rglob("*") if p.is_file() and SECRET in p.read_text(errors="ignore")]
    assert written == []  # no plain-text fallback


def test_env_var_is_used_first(monkeypatch, memory_keyring):
    memory_keyring.set_password("rlm-studio", "anthropic", "from-keyring-key-0000")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    assert get_api_key("anthropic") == SECRET
    assert key_source("anthropic") == "env:ANTHROPIC_API_KEY"


def test_keyring_used_when_env_is_empty(no_keys, memory_keyring):
    set_api_key("gemini", "  " + SECRET + "\n")
    assert memory_keyring.store[("rlm-studio", "gemini")] == SECRET
    assert get_api_key("gemini") == SECRET and key_source("gemini") == "keyring"
    assert configured_providers() == ["gemini"]
    assert credentials.delete_api_key("gemini") is True and get_api_key("gemini") is None


def test_no_key_anywhere(no_keys):
    assert get_api_key("openai") is None and key_source("openai") is None


def test_empty_key_is_refused():
    with pytest.raises(ValueError, match="empty"):
        set_api_key("openai", "   ")


def test_mask_key():
    assert mask_key(SECRET) == "sk-...wxyz"
    assert mask_key("short") == "***" and mask_key(None) == ""


def test_key_is_sent_but_never_in_response_or_model_repr(no_keys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    from rlm_studio.models.litellm_client import LiteLLMModel
    with FakeOpenAIServer() as srv:
        model = LiteLLMModel("openai/fake-model", api_base=srv.base_url, context_window=None)
        response = asyncio.run(model.complete(MESSAGES))
        assert srv.chat_requests()[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    for text in (repr(response), str(response), str(response.usage), repr(model), str(vars(response))):
        assert SECRET not in text
    assert os.environ["OPENAI_API_KEY"] == SECRET
