"""Plain data shared by every model client: messages in, a response with exact usage out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}
StreamCallback = Callable[[str], None]


@dataclass
class Usage:
    """Token counts as the provider reported them; `estimated` is True only when it reported none."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        # written out rather than dataclasses.asdict: this runs for every call, and asdict deep-copies
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cached_tokens": self.cached_tokens, "reasoning_tokens": self.reasoning_tokens,
                "estimated": self.estimated}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class ModelResponse:
    content: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None  # None means the price is unknown, never "free"
    latency_ms: float = 0.0
    retries: int = 0
    model: str = ""  # the resolved model name the provider answered with
    finish_reason: str | None = None


# Error kinds a model call can end with; each has a user-facing meaning.
ERROR_KINDS = (
    "auth",            # 401/403: bad or missing API key
    "rate_limit",      # 429 after all retries
    "server",          # 5xx after all retries
    "timeout",         # the call took longer than its timeout
    "connection",      # server down, connection refused, DNS
    "not_found",       # unknown model
    "context_window",  # prompt longer than the model's window (refused before sending)
    "malformed",       # the provider's answer could not be read
    "bad_request",     # 400 other than the above
    "script",          # a scripted model ran out of responses or has a bad file
    "budget",          # a run limit refused the call before it was sent
    "cancelled",       # the run was cancelled while the call was in flight
    "unknown",
)


class ModelError(Exception):
    """A model call that failed, with a kind from ERROR_KINDS and a message a user understands."""

    def __init__(self, kind: str, message: str, *, model: str = "", retries: int = 0,
                 status_code: int | None = None, latency_ms: float = 0.0):
        super().__init__(message)
        self.kind = kind if kind in ERROR_KINDS else "unknown"
        self.message = message
        self.model = model
        self.retries = retries
        self.status_code = status_code
        self.latency_ms = latency_ms

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "model": self.model,
                "retries": self.retries, "status_code": self.status_code}

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@runtime_checkable
class ModelClient(Protocol):
    """What the engine needs from a model. Implementations: ScriptedModel, LiteLLMModel."""

    # read-only in the protocol: clients may compute these (LiteLLMModel looks the window up lazily)
    @property
    def name(self) -> str: ...                   # the spec the user chose, e.g. "gpt-5-mini" or "script:demo.json"

    @property
    def context_window(self) -> int | None: ...  # tokens, None when unknown

    @property
    def is_local(self) -> bool: ...              # local models cost $0

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse: ...

    def count_tokens(self, messages: list[Message]) -> int: ...


def estimate_tokens(text: str) -> int:
    """A provider-free estimate (about 4 characters a token), used only where no count exists."""
    return max(1, (len(text) + 3) // 4) if text else 0


def estimate_message_tokens(messages: list[Message]) -> int:
    return sum(estimate_tokens(m.get("content") or "") + 4 for m in messages)

