"""Totals recomputed from scratch, to check the run tree's incremental ones (test-only)."""

from __future__ import annotations

from rlm_studio.engine.run_tree import FIELDS, RunTree, Totals, contribution
from rlm_studio.engine.run_tree.totals import make_totals


def brute_force_totals(tree: RunTree, node_id: str) -> Totals:
    """Sum every node of the subtree again, walking the tree's children."""
    vector = [0.0] * len(FIELDS)
    max_depth = 0
    for current in tree.walk(node_id):
        node = tree.node(current)
        for i, value in enumerate(contribution(node)):
            vector[i] += value
        max_depth = max(max_depth, node.depth)
    top = tree.node(node_id)
    own = 1 if top.kind == "iteration" else sum(
        1 for c in tree.children(node_id) if tree.node(c).kind == "iteration") if top.kind == "run" else 0
    return make_totals(vector, max_depth, node=top, own_iterations=own)
