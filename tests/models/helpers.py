"""Small helpers shared by the model-layer tests."""

from __future__ import annotations

from rlm_studio.models.litellm_client import LiteLLMModel

MESSAGES = [{"role": "user", "content": "Say hello."}]
TEST_KEY = "sk-test-SECRET-0123456789abcd"


def fake_model(server, **kwargs) -> LiteLLMModel:
    """A client for FakeOpenAIServer with fast backoff so retry tests stay quick."""
    params = dict(api_base=server.base_url, api_key=TEST_KEY, max_retries=2, backoff_base_s=0.01,
                  backoff_max_s=0.05, timeout_s=5.0, context_window=None)
    params.update(kwargs)
    return LiteLLMModel("openai/fake-model", **params)
