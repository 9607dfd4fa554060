"""Turn whatever litellm / openai / httpx / aiohttp raised into one ModelError kind with a message a user understands."""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from .credentials import env_var_for, mask_key, scrub
from .types import ModelError

RETRYABLE_KINDS = frozenset({"rate_limit", "server", "timeout", "connection"})


class MalformedAnswer(ValueError):
    """The provider answered, but not with a readable chat completion."""


@dataclass
class Failure:
    kind: str
    status_code: int | None
    detail: str
    retry_after_s: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*|\w+Error:\s*|\w+Exception\s*-\s*)+")


def _detail(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    text = _PREFIX.sub("", text).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:240]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _retry_after(exc: BaseException) -> float | None:
    for candidate in _chain(exc):
        headers: Any = getattr(candidate, "litellm_response_headers", None)
        if headers is None:
            response = getattr(candidate, "response", None)
            headers = getattr(response, "headers", None)
        if headers is not None:
            try:
                value = headers.get("retry-after") or headers.get("Retry-After")
            except AttributeError:
                value = None
            seconds = parse_retry_after(value)
            if seconds is not None:
                return seconds
    return None


def classify(exc: BaseException) -> Failure:
    """Find the most specific cause in the exception chain; the order of the checks matters."""
    chain = _chain(exc)
    names = [_names(e) for e in chain]
    status = next((s for s in (getattr(e, "status_code", None) for e in chain) if isinstance(s, int)), None)
    detail = _detail(exc)

    for e, n in zip(chain, names):
        if isinstance(e, (json.JSONDecodeError, MalformedAnswer)) or "APIResponseValidationError" in n or (
                "APIError" in n and "provider returned" in str(e)):
            return Failure("malformed", None, _detail(e))
    for e, n in zip(chain, names):
        if isinstance(e, (asyncio.TimeoutError, TimeoutError)) or n & {"Timeout", "APITimeoutError",
                                                                       "TimeoutException", "ServerTimeoutError"}:
            return Failure("timeout", None, detail)
    for e, n in zip(chain, names):
        if isinstance(e, ConnectionError) or n & {"ConnectError", "ClientConnectorError", "ClientOSError",
                                                  "ServerDisconnectedError", "RemoteProtocolError"}:
            return Failure("connection", None, _detail(e))
        if "APIConnectionError" in n and "Connection error" in str(e):
            return Failure("connection", None, _detail(e))

    top = names[0]
    if "ContextWindowExceededError" in top:
        return Failure("context_window", status, detail)
    if top & {"AuthenticationError", "PermissionDeniedError"} or status in (401, 403):
        return Failure("auth", status, detail)
    if "NotFoundError" in top or status == 404:
        return Failure("not_found", status, detail)
    if "RateLimitError" in top or status == 429:
        return Failure("rate_limit", status or 429, detail, _retry_after(exc))
    if (status is not None and status >= 500) or top & {"InternalServerError", "ServiceUnavailableError",
                                                        "BadGatewayError"}:
        return Failure("server", status, detail, _retry_after(exc))
    if "BadRequestError" in top or status in (400, 413, 422):
        return Failure("bad_request", status, detail)
    if "APIConnectionError" in top:
        return Failure("connection", status, detail)
    return Failure("unknown", status, f"{type(exc).__name__}: {detail}")


def to_model_error(failure: Failure, *, model: str, where: str, provider: str | None, retries: int,
                   timeout: float | None, api_key: str | None, latency_ms: float) -> ModelError:
    """Build the user-facing error; the API key is masked wherever it might appear."""
    d = failure.detail
    code = f"HTTP {failure.status_code}" if failure.status_code else "no HTTP status"
    after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    kind = failure.kind
    if kind == "connection":
        msg = f"Cannot reach {where}{after}: the server is not running or refused the connection ({d})."
    elif kind == "auth":
        var = env_var_for(provider or "")
        hint = f" Check {var} or the key saved for {provider}." if var else " Check the API key."
        shown = f" (key used: {mask_key(api_key)})" if api_key else ""
        msg = f"{where} rejected the API key ({code}){shown}.{hint} Provider said: {d}"
    elif kind == "rate_limit":
        msg = (f"{where} is rate-limiting requests ({code}){after}. Wait a moment, lower the concurrency, "
               f"or raise the retry limit. Provider said: {d}")
    elif kind == "server":
        msg = f"{where} had a server error ({code}){after}. Provider said: {d}"
    elif kind == "timeout":
        limit = f" within {timeout:g} s" if timeout else ""
        msg = f"No answer from {model}{limit}{after}."
    elif kind == "malformed":
        msg = f"The answer from {where} could not be read as a chat completion: {d}"
    elif kind == "not_found":
        msg = f"Model '{model}' was not found at {where} ({code}). Provider said: {d}"
    elif kind == "context_window":
        msg = f"The prompt is too long for {model} ({where} refused it): {d}"
    elif kind == "bad_request":
        msg = f"{where} refused the request ({code}): {d}"
    else:
        msg = f"The call to {model} at {where} failed: {d}"
    return ModelError(kind, scrub(msg, api_key), model=model, retries=retries,
                      status_code=failure.status_code, latency_ms=latency_ms)
