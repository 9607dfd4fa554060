"""`llm_query` (one sub-model call) from a cell; batched calls share a batch_id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Event
from .payloads import ErrorInfo, SubcallVia, Usage


@dataclass(kw_only=True)
class SubcallStarted(Event):
    kind = "subcall_started"
    opens = "subcall"
    model: str = ""
    prompt: str = ""
    batch_id: str | None = None
    batch_index: int | None = None
    batch_size: int | None = None
    via: SubcallVia = "llm_query"  # "rlm_query": a child RLM refused at the depth limit, answered by the sub-model


@dataclass(kw_only=True)
class SubcallFinished(Event):
    kind = "subcall_finished"
    closes = True
    model: str = ""
    response: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    latency_ms: float = 0.0
    retries: int = 0
    error: dict[str, Any] | None = None  # ModelError.to_dict()

    @property
    def usage_info(self) -> Usage:
        return Usage.from_dict(self.usage)

    @property
    def error_info(self) -> ErrorInfo | None:
        return ErrorInfo.from_dict(self.error)
