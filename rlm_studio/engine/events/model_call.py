"""A call of the root model (sub-model calls are `subcall` events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Event
from .payloads import ErrorInfo, Usage


@dataclass(kw_only=True)
class ModelCallStarted(Event):
    kind = "model_call_started"
    opens = "model_call"
    model: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)  # the exact input (storage dedupes each message)
    prompt_tokens: int = 0        # counted before sending (the window check uses it)
    context_window: int | None = None
    iteration: int = 0


@dataclass(kw_only=True)
class ModelCallDelta(Event):
    """A streamed piece of a root response, for live views only."""

    kind = "model_call_delta"
    ephemeral = True
    text: str = ""


@dataclass(kw_only=True)
class ModelCallFinished(Event):
    kind = "model_call_finished"
    closes = True
    model: str = ""               # the resolved model name the provider answered with
    response: str = ""
    usage: dict[str, Any] = field(default_factory=dict)  # Usage.to_dict()
    cost_usd: float | None = None  # None: price unknown
    latency_ms: float = 0.0
    retries: int = 0
    finish_reason: str | None = None
    error: dict[str, Any] | None = None  # ModelError.to_dict()

    @property
    def usage_info(self) -> Usage:
        return Usage.from_dict(self.usage)

    @property
    def error_info(self) -> ErrorInfo | None:
        return ErrorInfo.from_dict(self.error)
