"""One run's headline figures (tokens, cost, time, counts), and the same figures for 2+ runs side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rlm_studio.engine.events import Event

from ._events import as_events
from .tree import RunTree

# (key, label) of every figure compared between runs, in table order.
METRICS: tuple[tuple[str, str], ...] = (
    ("input_tokens", "input tokens"),
    ("output_tokens", "output tokens"),
    ("total_tokens", "total tokens"),
    ("cost_usd", "cost (USD)"),
    ("wall_s", "time (s)"),
    ("iterations", "iterations"),
    ("tree_iterations", "iterations, child runs' too"),
    ("root_calls", "root model calls"),
    ("subcalls", "sub-calls"),
    ("model_calls", "model calls"),
    ("cells", "code cells"),
    ("child_runs", "child runs"),
    ("cached_tokens", "cached input tokens"),
    ("max_depth", "depth"),
    ("errors", "errors"),
)


def run_figures(events: Iterable[Event | dict[str, Any]]) -> dict[str, Any]:
    """Figures of the root run of `events`: every METRICS key plus run_id, status, answer, question.

    `cost_usd` is None when a price in the run is unknown (`known_cost_usd` is the priced part);
    `wall_s` is the run's start-to-finish time (to its last event while it has not finished).
    Counts are the run tree's one Totals (see the README's glossary).
    """
    events = as_events(events)
    tree = RunTree.from_events(events)
    root = tree.root_id
    if root is None:
        raise ValueError("these events hold no run (no run_started event)")
    node = tree.node(root)
    totals = tree.totals(root)
    if node.ended_ts is not None:
        wall = node.ended_ts - node.started_ts
    else:
        wall = max(e.ts for e in events) - node.started_ts
    figures = totals.to_dict()
    figures.update(run_id=events[0].run_id if events else "", status=node.status,
                   answer=node.extra.get("answer"), question=node.extra.get("question", ""),
                   wall_s=round(max(0.0, wall), 3))
    return figures


def metric_delta(a: Any, b: Any) -> Any:
    """b - a for numbers; None when either is unknown."""
    if a is None or b is None:
        return None
    delta = b - a
    return round(delta, 9) if isinstance(delta, float) else delta


def compare_totals(runs: Sequence[Iterable[Event | dict[str, Any]]]) -> dict[str, Any]:
    """Side-by-side figures of 2+ runs; deltas are against the first run.

    Returns {"runs": [{"run_id", "status", "answer"}...],
             "metrics": [{"key", "label", "values": [...], "deltas": [0, ...]}...]}.
    """
    if len(runs) < 2:
        raise ValueError(f"comparing needs at least two runs, got {len(runs)}")
    figures = [run_figures(events) for events in runs]
    metrics = []
    for key, label in METRICS:
        values = [f[key] for f in figures]
        metrics.append({"key": key, "label": label, "values": values,
                        "deltas": [metric_delta(values[0], v) for v in values]})
    return {"runs": [{k: f[k] for k in ("run_id", "status", "answer")} for f in figures], "metrics": metrics}
