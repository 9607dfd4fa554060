"""Subtree totals (public entry for analysis and the app): the engine's one totals, re-exported."""

from __future__ import annotations

from rlm_studio.engine.run_tree import ERROR_STATUSES, FIELDS, NodeRecord, Totals, contribution, cost_is_unknown
from rlm_studio.engine.run_tree.totals import make_totals

__all__ = ["ERROR_STATUSES", "FIELDS", "Totals", "brute_force_totals", "contribution", "cost_is_unknown"]


def brute_force_totals(nodes: dict[str, NodeRecord], children: dict[str | None, list[str]], node_id: str) -> Totals:
    """Recompute a subtree's totals from scratch (for checks; the run tree keeps them incrementally)."""
    vector = [0.0] * len(FIELDS)
    max_depth = 0
    stack = [node_id]
    while stack:
        current = stack.pop()
        node = nodes[current]
        for i, value in enumerate(contribution(node)):
            vector[i] += value
        max_depth = max(max_depth, node.depth)
        stack.extend(children.get(current, ()))
    root = nodes[node_id]
    own = 1 if root.kind == "iteration" else sum(
        1 for c in children.get(node_id, ()) if nodes[c].kind == "iteration") if root.kind == "run" else 0
    return make_totals(vector, max_depth, node=root, own_iterations=own)
