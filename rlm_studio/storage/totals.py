"""Subtree totals: each node's own figures plus those of everything under it (one pass, children first)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def subtree_totals(nodes: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """node id -> {input_tokens, output_tokens, cached_tokens, reasoning_tokens, subcalls, model_calls, nodes,
    cost_usd, cost_unknown}; `nodes` are dicts as `Store.load_nodes` returns them."""
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
        parent_id = n["parent_id"]
        parent = acc.get(parent_id) if parent_id is not None else None
        if parent is None:
            continue
        own = acc[n["id"]]
        parent[0] += own[0]
        parent[1] += own[1]
        parent[2] += own[2]
        parent[3] += own[3]
        parent[4] += own[4]
        parent[5] += own[5]
        parent[6] += own[6]
        parent[7] += own[7]
        if own[8]:
            parent[8] = True
    return {node_id: {"input_tokens": a[0], "output_tokens": a[1], "cached_tokens": a[2], "reasoning_tokens": a[3],
                      "subcalls": a[4], "model_calls": a[5], "nodes": a[6], "cost_usd": a[7], "cost_unknown": a[8]}
            for node_id, a in acc.items()}
