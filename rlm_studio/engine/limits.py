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
    """The limits' running spend of the whole tree; `tripped` names the first limit reached.

    An enforcement counter, not a reported figure. It exists because a limit counts spend, not nodes: only
    an answered call is charged (a refused or failed sub-call does not use up the sub-call budget, while
    `Totals.subcalls` counts every sub-call node), and an unpriced call adds nothing to `cost_usd`. What a
    run reports (RunResult.totals, run_finished, every CLI and app figure) comes from the run tree's
    `Totals`; nothing reads these counters but the checks below.
    """

    settings: RunSettings
    started: float = field(default_factory=time.monotonic)
    subcalls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    tripped: str | None = None

    def add_call(self, usage: dict[str, Any], cost: float | None, *, subcall: bool) -> None:
        if subcall:
            self.subcalls += 1
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        if cost is not None:
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
