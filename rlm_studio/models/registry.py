"""Turn a model spec ("bundled", "script:PATH", "openai/gpt-5-mini", ...) into a ModelClient; list choices for pickers.

Importing this module is cheap: litellm, httpx and keyring are imported only when a call needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .types import ModelClient

BUNDLED_SPEC = "bundled"            # SmolLM2-135M + the RLM adapter in resources/models
BUNDLED_BASE_SPEC = "bundled-base"  # the same model without the adapter
SCRIPT_PREFIX = "script:"

# A few well-known chat models per provider, offered in pickers when that provider has a key configured.
SUGGESTED_MODELS: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-5-mini", "gpt-5", "gpt-5-nano", "gpt-4.1-mini", "gpt-4o-mini"),
    "anthropic": ("claude-sonnet-4-5", "claude-haiku-4-5"),
    "gemini": ("gemini/gemini-2.5-flash", "gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash-lite"),
    "mistral": ("mistral/mistral-large-latest",),
    "deepseek": ("deepseek/deepseek-chat",),
}


class UnknownModelError(ValueError):
    """litellm cannot tell which provider serves this model string."""


@dataclass
class ModelSettings:
    """User settings for model calls. Per-model dicts are keyed by the spec the user typed."""

    price_overrides: dict[str, Any] = field(default_factory=dict)   # spec -> {"input": $/1M, "output": $/1M}
    api_bases: dict[str, str] = field(default_factory=dict)         # spec -> api_base (local/self-hosted servers)
    context_windows: dict[str, int] = field(default_factory=dict)   # spec -> window, overrides litellm's table
    concurrency: dict[str, int] = field(default_factory=dict)       # spec -> max calls in flight
    extra_params: dict[str, dict[str, Any]] = field(default_factory=dict)  # spec -> extra litellm kwargs
    default_concurrency: int = 4
    timeout_s: float = 120.0
    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_output_tokens: int | None = None
    bundled_max_output_tokens: int = 1024  # the tiny bundled model can ramble until its window is full
    temperature: float | None = None
    default_model: str | None = None

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.default_concurrency < 1 or any(v < 1 for v in self.concurrency.values()):
            raise ValueError("concurrency limits must be >= 1")
        from .pricing import normalize_overrides
        normalize_overrides(self.price_overrides)  # fail early on a malformed price


def default_model_spec(settings: ModelSettings | None = None) -> str:
    """The user's default model, else the bundled one."""
    if settings and settings.default_model and settings.default_model.strip():
        return settings.default_model.strip()
    return BUNDLED_SPEC


def _common(spec: str, settings: ModelSettings) -> dict[str, Any]:
    return {"timeout_s": settings.timeout_s, "max_retries": settings.max_retries,
            "concurrency": settings.concurrency.get(spec, settings.default_concurrency),
            "price_overrides": settings.price_overrides, "backoff_base_s": settings.backoff_base_s,
            "backoff_max_s": settings.backoff_max_s, "temperature": settings.temperature,
            "extra_params": settings.extra_params.get(spec)}


def resolve_model(spec: str | None, settings: ModelSettings | None = None) -> ModelClient:
    """Build the client for `spec`; raises UnknownModelError or ScriptFileError for bad input. Sends nothing."""
    settings = settings or ModelSettings()
    spec = (spec or "").strip() or default_model_spec(settings)
    if spec.startswith(SCRIPT_PREFIX):
        from .scripted import ScriptedModel, ScriptFileError
        path = spec[len(SCRIPT_PREFIX):].strip()
        if not path:
            raise ScriptFileError("script: needs a file path, e.g. script:demo.json")
        return ScriptedModel(path, name=spec)
    from .litellm_client import LiteLLMModel
    if spec in (BUNDLED_SPEC, BUNDLED_BASE_SPEC):
        return _bundled_client(spec, settings)
    api_base = settings.api_bases.get(spec)
    provider = provider_of(spec, api_base)
    kwargs: dict[str, Any] = {}
    if spec in settings.context_windows:
        kwargs["context_window"] = settings.context_windows[spec]
    return LiteLLMModel(spec, api_base=api_base, provider=provider,
                        max_output_tokens=settings.max_output_tokens, **kwargs, **_common(spec, settings))


def _bundled_client(spec: str, settings: ModelSettings) -> ModelClient:
    from .bundled_grammar import opening_request_params
    from .litellm_client import LiteLLMModel
    from .local_server import bundled_server

    server = bundled_server(adapter=spec == BUNDLED_SPEC)
    common = _common(spec, settings)
    common["concurrency"] = settings.concurrency.get(spec, 2)  # llama.cpp answers one request at a time
    if common["temperature"] is None:
        common["temperature"] = 0.0  # the adapter was trained on one deterministic policy: sample greedily
    client = LiteLLMModel(f"openai/{server.model_id}", name=spec, provider="openai", is_local=True,
                          api_key="sk-bundled-no-key",  # the user's OpenAI key never goes to the local server
                          context_window=settings.context_windows.get(spec, server.n_ctx),
                          max_output_tokens=settings.max_output_tokens or settings.bundled_max_output_tokens,
                          server_starter=server.start, token_counter=server.count_tokens,
                          text_token_counter=server.count_text_tokens,
                          output_shares_window=True,
                          request_params=opening_request_params if server.lora_path is not None else None, **common)
    if server.lora_path is not None:
        client.prompt_name = "bundled"  # type: ignore[attr-defined]  # the prompt the adapter was trained with
    return client


def provider_of(spec: str, api_base: str | None = None) -> str:
    """litellm's provider for a model string, or UnknownModelError with the fix in its message."""
    from ._litellm import litellm
    try:
        provider: str = litellm.get_llm_provider(spec, api_base=api_base)[1]
        return provider
    except Exception:
        raise UnknownModelError(
            f"Unknown model '{spec}': cannot tell which provider serves it. Write it as provider/model, e.g. "
            f"'openai/gpt-5-mini', 'anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash', "
            f"'ollama_chat/llama3.2' (a local Ollama), 'openai/NAME' with an api_base for any OpenAI-compatible "
            f"server, or 'bundled' for the small offline model.") from None


@dataclass
class ModelChoice:
    """One entry for a model picker; pass `spec` to resolve_model and put `api_base` in ModelSettings.api_bases."""

    spec: str
    label: str
    source: str            # "bundled", "local", or a provider name
    is_local: bool
    api_base: str | None = None
    note: str | None = None


async def list_models(settings: ModelSettings | None = None, *, discover: bool = True,
                      discovery_timeout: float = 0.3, probes: Sequence[Any] | None = None) -> list[ModelChoice]:
    """Bundled model (if installed) + models on running local servers + suggested models of configured providers."""
    from .credentials import configured_providers
    from .local_server import BASE_MODEL_NOTE, BUNDLED_MODEL_NOTE, bundled_available, find_adapter

    choices: list[ModelChoice] = []
    if bundled_available():
        if find_adapter() is not None:
            choices.append(ModelChoice(BUNDLED_SPEC, "Bundled SmolLM2-135M RLM (offline)", "bundled", True,
                                       note=BUNDLED_MODEL_NOTE))
            choices.append(ModelChoice(BUNDLED_BASE_SPEC, "Bundled SmolLM2-135M base (offline, no adapter)",
                                       "bundled", True, note=BASE_MODEL_NOTE))
        else:
            choices.append(ModelChoice(BUNDLED_SPEC, "Bundled SmolLM2-135M (offline, tiny)", "bundled", True,
                                       note=BASE_MODEL_NOTE))
    if discover:
        from .discovery import discover_local_servers
        found = await (discover_local_servers(discovery_timeout) if probes is None
                       else discover_local_servers(discovery_timeout, probes=probes))
        for server in found:
            for model in server.models:
                choices.append(ModelChoice(server.model_spec(model), f"{model} ({server.name})", "local", True,
                                           api_base=server.base_url))
    for provider in configured_providers():
        for model in SUGGESTED_MODELS.get(provider, ()):
            choices.append(ModelChoice(model, model, provider, False))
    if settings and settings.default_model and all(c.spec != settings.default_model for c in choices):
        choices.append(ModelChoice(settings.default_model, settings.default_model, "settings", False,
                                   api_base=settings.api_bases.get(settings.default_model)))
    return choices
