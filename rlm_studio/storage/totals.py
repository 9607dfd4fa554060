"""Subtree totals: each node's own figures plus those of everything under it (one pass, children first)."""

from __future__ import annotations

from typing import Any, Iterable

SUMMED = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "subcalls", "model_calls", "nodes")


def subtree_totals(nodes: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """node id -> {input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, cost_unknown,
    subcalls, model_calls, nodes}; `nodes` are dicts as `Store.load_nodes` returns them."""
    nodes = sorted(nodes, key=lambda n: n["start_seq"])
    # per node: [in, out, cached, reasoning, subcalls, model_calls, nodes, cost, cost_unknown]
    acc: dict[str, list] = {}
    for n in nodes:
        kind, cost = n["kind"], n["cost_usd"]
        acc[n["id"]] = [n["input_tokens"] or 0, n["output_tokens"] or 0, n["cached_tokens"] or 0,
                        n["reasoning_tokens"] or 0, int(kind == "subcall" or (kind == "run" and n["depth"] > 0)),
                        int(kind == "model_call" or kind == "subcall"), 1, cost or 0.0, cost is None]
    # a child is always opened after its parent: going backwards visits children before parents
    for n in reversed(nodes):
        parent = acc.get(n["parent_id"]) if n["parent_id"] is not None else None
        if parent is None:
            continue
        own = acc[n["id"]]
        for i in range(8):
            parent[i] += own[i]
        parent[8] = parent[8] or own[8]
    return {node_id: {**dict(zip(SUMMED, a[:7])), "cost_usd": a[7], "cost_unknown": a[8]} for node_id, a in acc.items()}
