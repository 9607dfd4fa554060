"""A ModelClient over litellm.acompletion with exact usage, cost, our own retries, timeouts and concurrency limits."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from .cache_markers import needs_cache_markers, with_cache_markers
from .credentials import env_var_for, get_api_key
from .errors import Failure, MalformedAnswer, classify, to_model_error
from .pricing import Price, call_cost, normalize_overrides
from .types import Message, ModelError, ModelResponse, StreamCallback, Usage, estimate_message_tokens, estimate_tokens

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
LOCAL_BY_DEFAULT = frozenset({"ollama", "ollama_chat", "lm_studio", "llamafile"})  # their default base is localhost
_UNSET: Any = object()

# One semaphore per (event loop, model, api_base): asyncio primitives must not cross loops.
_SEMAPHORES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str | None], asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary())
_SEMAPHORES_LOCK = threading.Lock()


def _semaphore(key: tuple[str, str | None], limit: int) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    with _SEMAPHORES_LOCK:
        per_loop = _SEMAPHORES.setdefault(loop, {})
        if key not in per_loop:
            per_loop[key] = asyncio.Semaphore(max(1, limit))
        return per_loop[key]


def is_local_base(api_base: str | None) -> bool:
    if not api_base:
        return False
    host = urlparse(api_base if "://" in api_base else f"http://{api_base}").hostname or ""
    return host in LOCAL_HOSTS


class _CallbackFailed(Exception):
    """The caller's stream callback raised; re-raised unchanged, never treated as a model failure."""


class LiteLLMModel:
    """Any model litellm can call (OpenAI, Anthropic, Gemini, Ollama, OpenAI-compatible local servers...)."""

    def __init__(self, model: str, *, name: str | None = None, api_base: str | None = None,
                 api_key: str | None = None, provider: str | None = None, is_local: bool | None = None,
                 context_window: int | None = _UNSET, timeout_s: float = 120.0, max_retries: int = 3,
                 concurrency: int = 4, price_overrides: Mapping[str, Any] | None = None,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 20.0, max_retry_after_s: float = 60.0,
                 max_output_tokens: int | None = None, temperature: float | None = None,
                 extra_params: Mapping[str, Any] | None = None,
                 server_starter: Callable[[], str] | None = None,
                 token_counter: Callable[[list[Message]], int | None] | None = None,
                 text_token_counter: Callable[[str], int | None] | None = None,
                 output_shares_window: bool = False, prompt_cache_markers: bool = True,
                 request_params: Callable[[list[Message]], Mapping[str, Any]] | None = None):
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.model = model
        self.name = name or model
        self.api_base = api_base
        self._api_key = api_key
        self._provider = provider
        self._is_local = is_local
        self._context_window = context_window
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.concurrency = concurrency
        self.price_overrides: dict[str, Price] = normalize_overrides(price_overrides)
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_retry_after_s = max_retry_after_s
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.extra_params = dict(extra_params or {})
        self._server_starter = server_starter  # e.g. starts the bundled server; returns its api_base
        self._token_counter = token_counter  # e.g. the bundled server's own tokenizer
        self._text_token_counter = text_token_counter
        self.output_shares_window = output_shares_window  # llama.cpp: prompt + max_tokens must fit n_ctx
        self._window_lock = threading.Lock()
        #: mark the stable prefix for providers that cache only marked prompts (see cache_markers)
        self.prompt_cache_markers = prompt_cache_markers
        self._request_params = request_params  # per-request fields (the bundled model's opening grammar)

    def __repr__(self) -> str:  # never shows the key
        return f"LiteLLMModel(model={self.model!r}, api_base={self.api_base!r}, is_local={self.is_local})"

    # -- properties resolved lazily (they may need litellm or a local server) ---------------------------------
    @property
    def provider(self) -> str:
        if self._provider is None:
            from ._litellm import litellm
            try:
                self._provider = litellm.get_llm_provider(self.model, api_base=self.api_base)[1]
            except Exception:
                self._provider = self.model.split("/", 1)[0] if "/" in self.model else "openai"
        return self._provider

    @property
    def is_local(self) -> bool:
        if self._is_local is None:
            if self.api_base:
                self._is_local = is_local_base(self.api_base)
            else:
                self._is_local = self.model.split("/", 1)[0] in LOCAL_BY_DEFAULT
        return self._is_local

    @property
    def context_window(self) -> int | None:
        """Max input tokens from litellm's table, else asked from a local server; None when unknown (no check)."""
        with self._window_lock:
            if self._context_window is _UNSET:
                self._context_window = self._lookup_window()
            return self._context_window

    @context_window.setter
    def context_window(self, value: int | None) -> None:
        self._context_window = value

    def _lookup_window(self) -> int | None:
        from ._litellm import litellm
        try:
            info = litellm.get_model_info(self.model)
            window = info.get("max_input_tokens") or info.get("max_tokens")
            if isinstance(window, int) and window > 0:
                return window
        except Exception:
            pass
        if self.is_local and self.api_base and self._server_starter is None:
            from .discovery import probe_context_window
            return probe_context_window(self.api_base, self.model)
        return None

    def count_tokens(self, messages: list[Message]) -> int:
        if self._token_counter is not None:
            counted = self._token_counter(messages)
            if counted is not None:
                return counted
        from ._litellm import litellm
        try:
            return int(litellm.token_counter(model=self.model, messages=messages))
        except Exception:
            return estimate_message_tokens(messages)

    # -- the call ---------------------------------------------------------------------------------------------
    def _where(self) -> str:
        return self.api_base or self.provider

    def _key(self) -> str | None:
        if self._api_key:
            return self._api_key
        key = get_api_key(self.provider)
        if key:
            return key
        if self.api_base:
            return "sk-no-key"  # a self-hosted server: it decides (most ignore it); the SDK needs some key
        return None

    async def _ensure_server(self) -> None:
        if self._server_starter is not None:
            self.api_base = await asyncio.to_thread(self._server_starter)

    def _backoff(self, attempt: int, failure: Failure) -> float:
        if failure.retry_after_s is not None:
            return min(failure.retry_after_s, self.max_retry_after_s)
        ceiling: float = min(self.backoff_max_s, self.backoff_base_s * (2 ** attempt))
        return ceiling * random.uniform(0.5, 1.0)

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        """One chat completion. `timeout` (s) bounds each attempt (streamed: the wait for each piece, so an answer
        that keeps arriving is never cut); failures raise ModelError (see ERROR_KINDS)."""
        timeout = timeout if timeout is not None else self.timeout_s
        await self._ensure_server()
        if self._context_window is _UNSET:  # the first lookup may import litellm or ask a local server
            await asyncio.to_thread(lambda: self.context_window)
        window = self.context_window
        if window:
            needed = await asyncio.to_thread(self.count_tokens, messages)
            reserved = self.max_output_tokens if self.output_shares_window and self.max_output_tokens else 0
            if needed > window - reserved:
                kept = f" ({reserved:,} of them are kept for the answer)" if reserved else ""
                raise ModelError("context_window",
                                 f"The prompt is about {needed:,} tokens, more than fits in {self.name}'s context "
                                 f"window of {window:,} tokens{kept}; it was not sent.", model=self.name)
        api_key = self._key()
        if api_key is None and env_var_for(self.provider) and "mock_response" not in self.extra_params:
            var = env_var_for(self.provider)
            how = f"set {var}" if var else "set the provider's API key environment variable"
            raise ModelError("auth", f"No API key for {self.provider}: {how} or save it in the OS keyring "
                                     f"from RLM Studio's model settings.", model=self.name)
        params = self._params(messages, api_key, timeout)
        # the first call imports litellm (4 s or more on a busy machine): not on the event loop, and not
        # inside the first attempt's timeout
        if _LITELLM_MODULE not in sys.modules:
            await asyncio.to_thread(_load_litellm)
        retries = 0
        async with _semaphore((self.model, self.api_base), self.concurrency):
            started = time.perf_counter()  # latency: the provider's time incl. retries, not queueing or set-up
            while True:
                emitted: list[bool] = [False]
                try:
                    if stream:  # a slow model that streams steadily (the bundled one on a busy CPU) is not cut off
                        content, usage_raw, resolved, finish, reported = await self._stream_once(
                            params, stream, emitted, timeout)
                    else:
                        content, usage_raw, resolved, finish, reported = await asyncio.wait_for(
                            self._call_once(params), timeout)
                    break
                except _CallbackFailed as wrapped:
                    assert wrapped.__cause__ is not None  # raised only `from` the callback's own exception
                    raise wrapped.__cause__ from None
                except asyncio.CancelledError:
                    raise
                except ModelError:
                    raise
                except Exception as exc:  # every provider failure ends here and becomes a ModelError
                    failure = classify(exc)
                    if failure.retryable and retries < self.max_retries and not emitted[0]:
                        await asyncio.sleep(self._backoff(retries, failure))
                        retries += 1
                        continue
                    raise to_model_error(failure, model=self.name, where=self._where(), provider=self.provider,
                                         retries=retries, timeout=timeout, api_key=api_key,
                                         latency_ms=(time.perf_counter() - started) * 1000.0) from None
            latency_ms = (time.perf_counter() - started) * 1000.0
        cache_write = 0
        if reported and usage_raw is not None:
            usage = self._usage(usage_raw)
            cache_write = _cache_write_tokens(usage_raw)
        else:  # counting can take a while on a long prompt: keep the event loop free
            usage = await asyncio.to_thread(self._estimate_usage, messages, content)
        cost = call_cost(usage, models=(self.model, resolved or ""), overrides=self.price_overrides,
                         is_local=self.is_local, provider=self.provider, cache_write_tokens=cache_write)
        return ModelResponse(content=content, usage=usage, cost_usd=cost,
                             latency_ms=latency_ms, retries=retries, model=resolved or self.model, finish_reason=finish)

    def _params(self, messages: list[Message], api_key: str | None, timeout: float | None) -> dict[str, Any]:
        sent: list[Message] | list[dict[str, Any]] = messages
        if self.prompt_cache_markers and needs_cache_markers(self.provider, self.model):
            sent = with_cache_markers(messages)  # Anthropic caches only up to a marked block
        params: dict[str, Any] = {"model": self.model, "messages": sent, "timeout": timeout,
                                  "max_retries": 0, "num_retries": 0}
        if self.api_base:
            params["api_base"] = self.api_base
        if api_key:
            params["api_key"] = api_key
        if self.max_output_tokens:
            params["max_tokens"] = self.max_output_tokens
        if self.temperature is not None:
            params["temperature"] = self.temperature
        params.update(self.extra_params)
        if self._request_params is not None:
            params.update(self._request_params(messages))
        return params

    async def _call_once(self, params: dict[str, Any]) -> tuple[str, Any, str | None, str | None, bool]:
        from ._litellm import litellm
        response = await litellm.acompletion(**params)
        choices = getattr(response, "choices", None)
        if not choices:
            raise _malformed("the answer has no choices")
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None) if message is not None else None
        usage = getattr(response, "usage", None)
        reported = bool(usage and ((usage.prompt_tokens or 0) + (usage.completion_tokens or 0)) > 0)
        return content or "", usage, getattr(response, "model", None), choices[0].finish_reason, reported

    async def _stream_once(self, params: dict[str, Any], callback: StreamCallback, emitted: list[bool],
                           idle_timeout: float | None) -> tuple[str, Any, str | None, str | None, bool]:
        """One streamed attempt; `idle_timeout` bounds the wait for the stream to open and for each chunk."""
        from ._litellm import litellm
        response = await asyncio.wait_for(
            litellm.acompletion(**params, stream=True, stream_options={"include_usage": True}), idle_timeout)
        parts: list[str] = []
        usage = resolved = finish = None
        chunks = response.__aiter__()
        while True:
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), idle_timeout)
            except StopAsyncIteration:
                break
            resolved = getattr(chunk, "model", None) or resolved
            chunk_usage = getattr(chunk, "usage", None)
            if chunk_usage:
                usage = chunk_usage
            for choice in getattr(chunk, "choices", None) or []:
                piece = getattr(getattr(choice, "delta", None), "content", None)
                if piece:
                    parts.append(piece)
                    emitted[0] = True
                    try:
                        callback(piece)
                    except Exception as exc:
                        raise _CallbackFailed() from exc
                finish = getattr(choice, "finish_reason", None) or finish
        raw_chunks = getattr(response, "chunks", None)
        if raw_chunks is not None and not raw_chunks:
            raise MalformedAnswer("the server ended the stream without sending any answer (a llama.cpp server "
                                  "does this when the prompt does not fit its context window)")
        if raw_chunks is not None:  # litellm fills in a computed usage when the provider sent none: ignore it
            reported = any(_has_usage(c) for c in raw_chunks)
        else:
            reported = usage is not None
        return "".join(parts), usage, resolved, finish, reported

    def _estimate_usage(self, messages: list[Message], content: str) -> Usage:
        """Only for providers that report no usage (e.g. llama-cpp-python when streaming); marked estimated."""
        output = self._text_token_counter(content) if self._text_token_counter else None
        return Usage(input_tokens=self.count_tokens(messages),
                     output_tokens=output if output is not None else estimate_tokens(content), estimated=True)

    def _usage(self, raw: Any) -> Usage:
        prompt_details = getattr(raw, "prompt_tokens_details", None)
        completion_details = getattr(raw, "completion_tokens_details", None)
        cached = getattr(prompt_details, "cached_tokens", None) or getattr(raw, "cache_read_input_tokens", None)
        return Usage(input_tokens=int(raw.prompt_tokens or 0), output_tokens=int(raw.completion_tokens or 0),
                     cached_tokens=int(cached or 0),
                     reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", None) or 0))


def _cache_write_tokens(raw: Any) -> int:
    """Input tokens written to the provider's prompt cache (Anthropic's `cache_creation_input_tokens`)."""
    value = getattr(raw, "cache_creation_input_tokens", None)
    return value if isinstance(value, int) and value > 0 else 0


def _has_usage(chunk: Any) -> bool:
    try:
        return chunk.get("usage") is not None  # litellm's chunk objects behave like mappings
    except AttributeError:
        return getattr(chunk, "usage", None) is not None


def _malformed(why: str) -> Exception:
    return MalformedAnswer(why)


__all__ = ["LiteLLMModel", "is_local_base"]


_LITELLM_MODULE = f"{__package__}._litellm"


def _load_litellm() -> None:
    from ._litellm import litellm  # noqa: F401  (importing it is the point)
