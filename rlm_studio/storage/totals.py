"""Subtree totals: each node's own figures plus those of everything under it (one pass, children first)."""

from __future__ import annotations

from typing import Any, Iterable

SUMMED = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")


def subtree_totals(nodes: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """node id -> {input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, cost_unknown,
    subcalls, model_calls, nodes}; `nodes` are dicts as `Store.load_nodes` returns them."""
    nodes = list(nodes)
    totals: dict[str, dict[str, Any]] = {}
    for node in nodes:
        cost = node.get("cost_usd")
        kind = node["kind"]
        totals[node["id"]] = {
            **{k: int(node.get(k) or 0) for k in SUMMED},
            "cost_usd": float(cost or 0.0),
            "cost_unknown": cost is None,
            "subcalls": int(kind == "subcall" or (kind == "run" and node.get("depth", 0) > 0)),
            "model_calls": int(kind in ("model_call", "subcall")),
            "nodes": 1,
        }
    # a child is always opened after its parent, so latest-opened first visits children first
    for node in sorted(nodes, key=lambda n: n["start_seq"], reverse=True):
        parent = totals.get(node["parent_id"]) if node["parent_id"] else None
        if parent is None:
            continue
        own = totals[node["id"]]
        for key in (*SUMMED, "subcalls", "model_calls", "nodes"):
            parent[key] += own[key]
        parent["cost_usd"] += own["cost_usd"]
        parent["cost_unknown"] = parent["cost_unknown"] or own["cost_unknown"]
    return totals
