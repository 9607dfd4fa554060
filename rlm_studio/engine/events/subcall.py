"""`llm_query` (one sub-model call) from a cell; batched calls share a batch_id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Event


@dataclass(kw_only=True)
class SubcallStarted(Event):
    kind = "subcall_started"
    model: str = ""
    prompt: str = ""
    batch_id: str | None = None
    batch_index: int | None = None
    batch_size: int | None = None
    via: str = "llm_query"        # "llm_query" | "llm_query_batched" | "rlm_query" (at the depth limit)


@dataclass(kw_only=True)
class SubcallFinished(Event):
    kind = "subcall_finished"
    model: str = ""
    response: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    latency_ms: float = 0.0
    retries: int = 0
    error: dict[str, Any] | None = None
