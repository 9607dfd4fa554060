"""Series for a run's charts: per-iteration tokens, cost and sub-calls, and a call timeline with lanes.

Pure data; the app draws it. Times are seconds from the run's first event.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event

from ._events import as_events
from .tree import RunTree

TIMELINE_KINDS = ("model_call", "subcall")


def iteration_series(events: Iterable[Event | dict[str, Any]], *, tree: RunTree | None = None) -> list[dict[str, Any]]:
    """One row per root iteration, in order: its subtree's figures (child runs it started included)
    and running totals. Row keys: iteration, node_id, input_tokens, output_tokens, total_tokens,
    cost_usd (None: a price in it is unknown), known_cost_usd, subcalls, root_calls, model_calls, cells, child_runs,
    errors, duration_s, cumulative_tokens, cumulative_known_cost_usd."""
    tree = tree or RunTree.from_events(events)
    root = tree.root_id
    rows: list[dict[str, Any]] = []
    if root is None:
        return rows
    cumulative_tokens, cumulative_cost = 0, 0.0
    for node_id in tree.children(root):
        node = tree.node(node_id)
        if node.kind != "iteration":
            continue
        t = tree.totals(node_id)
        cumulative_tokens += t.total_tokens
        cumulative_cost += t.known_cost_usd
        rows.append({
            "iteration": node.iteration, "node_id": node_id,
            "input_tokens": t.input_tokens, "output_tokens": t.output_tokens, "total_tokens": t.total_tokens,
            "cost_usd": t.cost_usd, "known_cost_usd": t.known_cost_usd,
            "subcalls": t.subcalls, "root_calls": t.root_calls, "model_calls": t.model_calls, "cells": t.cells, "child_runs": t.child_runs,
            "errors": t.errors,
            "duration_s": None if node.duration_ms is None else node.duration_ms / 1000.0,
            "cumulative_tokens": cumulative_tokens, "cumulative_known_cost_usd": cumulative_cost,
        })
    return rows


def call_timeline(events: Iterable[Event | dict[str, Any]], *, kinds: Iterable[str] = TIMELINE_KINDS,
                  tree: RunTree | None = None) -> dict[str, Any]:
    """Every call as a bar {node_id, kind, label, model, iteration, depth, status, start_s, end_s,
    running, lane}; calls that overlap in time get different lanes (lane 0 first), so the lanes
    show what ran in parallel. A call still running ends at the last event's time.

    Returns {"bars": [...] (by start), "lanes": n, "max_parallel": n, "duration_s": s}.
    """
    events = as_events(events)
    tree = tree or RunTree.from_events(events)
    if not events or tree.root_id is None:
        return {"bars": [], "lanes": 0, "max_parallel": 0, "duration_s": 0.0}
    t0 = min(e.ts for e in events)
    t_end = max(e.ts for e in events)
    wanted = set(kinds)
    calls = sorted((tree.node(n) for n in tree.walk() if tree.node(n).kind in wanted),
                   key=lambda n: (n.started_ts, n.start_seq))
    bars = []
    free_at: list[tuple[float, int]] = []  # (end time, lane) of lanes in use
    idle: list[int] = []                   # lanes free again, lowest first
    lanes = 0
    for node in calls:
        start = node.started_ts - t0
        end = (node.ended_ts if node.ended_ts is not None else t_end) - t0
        while free_at and free_at[0][0] <= start:
            heapq.heappush(idle, heapq.heappop(free_at)[1])
        if idle:
            lane = heapq.heappop(idle)
        else:
            lane, lanes = lanes, lanes + 1
        heapq.heappush(free_at, (max(end, start), lane))
        bars.append({"node_id": node.id, "kind": node.kind, "label": node.label, "model": node.model,
                     "iteration": node.iteration, "depth": node.depth, "status": node.status,
                     "start_s": start, "end_s": max(end, start), "running": node.ended_ts is None, "lane": lane})
    return {"bars": bars, "lanes": lanes, "max_parallel": _max_overlap(bars), "duration_s": t_end - t0}


def _max_overlap(bars: list[dict[str, Any]]) -> int:
    """Most calls in flight at once (a call ending exactly when another starts does not overlap it)."""
    points = sorted([(b["start_s"], 1) for b in bars] + [(b["end_s"], -1) for b in bars])
    best = current = 0
    for _, step in points:
        current += step
        best = max(best, current)
    return best


def run_charts(events: Iterable[Event | dict[str, Any]]) -> dict[str, Any]:
    """Both series for one run: {"iterations": iteration_series, "timeline": call_timeline}."""
    events = as_events(events)
    tree = RunTree.from_events(events)
    return {"iterations": iteration_series(events, tree=tree), "timeline": call_timeline(events, tree=tree)}
