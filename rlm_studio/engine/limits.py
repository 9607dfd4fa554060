"""Budgets held across the whole tree of a run, children included."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .settings import RunSettings


class LimitReached(Exception):
    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


@dataclass
class Budget:
    """Counts every call of the tree; `tripped` names the first limit reached."""

    settings: RunSettings
    started: float = field(default_factory=time.monotonic)
    subcalls: int = 0
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown: bool = False
    tripped: str | None = None

    def add_call(self, usage: dict[str, Any], cost: float | None, *, subcall: bool) -> None:
        self.model_calls += 1
        if subcall:
            self.subcalls += 1
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        if cost is None:
            self.cost_unknown = True
        else:
            self.cost_usd += cost
        self._check_totals()

    def _check_totals(self) -> None:
        s = self.settings
        if s.max_tokens is not None and self.input_tokens + self.output_tokens >= s.max_tokens:
            self.trip("max_tokens")
        if s.max_cost_usd is not None and self.cost_usd >= s.max_cost_usd:
            self.trip("max_cost_usd")

    def trip(self, limit: str) -> None:
        if self.tripped is None:
            self.tripped = limit

    def check_before_call(self, *, subcall: bool) -> None:
        """Refuse a call that would go past a limit (the run then stops with that limit)."""
        s = self.settings
        if self.tripped:
            raise LimitReached(self.tripped, f"the run's {describe_limit(self.tripped)} is reached")
        if s.max_wall_s is not None and time.monotonic() - self.started >= s.max_wall_s:
            self.trip("max_wall_s")
        elif subcall and s.max_subcalls is not None and self.subcalls >= s.max_subcalls:
            self.trip("max_subcalls")
        else:
            self._check_totals()
        if self.tripped:
            raise LimitReached(self.tripped, f"the run's {describe_limit(self.tripped)} is reached")


_DESCRIPTIONS = {
    "max_iterations": "iteration limit", "max_depth": "depth limit", "max_subcalls": "sub-call limit",
    "max_cost_usd": "cost limit", "max_tokens": "token limit", "max_wall_s": "time limit",
}


def describe_limit(limit: str) -> str:
    return _DESCRIPTIONS.get(limit, limit)
