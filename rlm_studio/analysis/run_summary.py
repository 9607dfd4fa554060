"""What the header and the status bar say about an open run, as plain data: the counts come from the run
tree's totals (one function for every surface), the rest from the root run's start and finish events."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .open_run import OpenRun
from .totals import Totals


@dataclass(frozen=True)
class RunSummary:
    question: str
    status: str                   # the root run's status ("running" until it finishes)
    finished: bool
    answer: str                   # the final answer ("" when the run gave none)
    limit: str                    # the limit that stopped it ("" when none)
    error: str                    # why it failed ("" when it did not)
    totals: Totals
    elapsed_s: float
    isolation: str
    warnings: list[str] = field(default_factory=list)
    #: without an answer: {"text", "source"} of the closest thing to one (never shown as the answer)
    best_candidate: dict[str, Any] | None = None

    @property
    def cost_usd(self) -> float | None:
        return self.totals.cost_usd

    @property
    def iterations(self) -> int:
        """The root run's own iterations."""
        return self.totals.iterations

    def figures(self) -> dict[str, Any]:
        """The header's figures by name (what tests and the cross-surface check compare)."""
        t = self.totals
        return {"input_tokens": t.input_tokens, "output_tokens": t.output_tokens, "cost_usd": t.cost_usd,
                "known_cost_usd": t.known_cost_usd, "iterations": self.iterations, "subcalls": t.subcalls,
                "child_runs": t.child_runs, "model_calls": t.model_calls, "max_depth": t.max_depth,
                "elapsed_s": self.elapsed_s}


def summarize(run: OpenRun, now: float | None = None) -> RunSummary | None:
    """The summary of the open run; None when nothing has started. A run still going is timed to
    `now` (default: the clock) when live, to its last event when it was stored unfinished."""
    started, root = run.root_started, run.root_id
    if started is None or root is None:
        return None
    node = run.tree.node(root)
    finished = run.root_finished
    end = node.ended_ts
    if end is None:
        end = (time.time() if now is None else now) if run.running else (run.events[-1].ts if run.events else None)
    error = ""
    if finished is not None and getattr(finished, "error", None):
        err = finished.error
        error = str(err.get("message", "") if isinstance(err, dict) else getattr(err, "message", err))
    return RunSummary(
        question=started.question, status=node.status if finished is None else finished.status,
        finished=finished is not None, answer=(finished.answer or "") if finished is not None else "",
        limit=(finished.limit or "") if finished is not None else "", error=error,
        totals=run.totals(root),
        elapsed_s=max(0.0, (end or node.started_ts) - node.started_ts),
        isolation=run.isolation, warnings=run.warnings,
        best_candidate=getattr(finished, "best_candidate", None) if finished is not None else None)
