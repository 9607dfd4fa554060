"""Subtree totals of a run tree: what one node adds, and the summed figures of a subtree."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rlm_studio.engine.events.nodes import NodeRecord

ERROR_STATUSES = frozenset({"error", "timeout", "crashed", "failed"})

# Order of the additive figures in a contribution vector (see `contribution`).
FIELDS = ("input_tokens", "output_tokens", "known_cost_usd", "unknown_cost_calls", "subcalls",
          "model_calls", "cells", "child_runs", "iterations", "errors")


@dataclass(frozen=True)
class Totals:
    """Figures of a node and everything below it.

    `cost_usd` is None when any call in the subtree has an unknown price; `known_cost_usd` is
    then the priced part (a lower bound). `child_runs` counts runs strictly below the node.
    `max_depth` is the deepest recursion depth of any node in the subtree.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    known_cost_usd: float = 0.0
    unknown_cost_calls: int = 0
    subcalls: int = 0
    model_calls: int = 0
    cells: int = 0
    child_runs: int = 0
    iterations: int = 0
    errors: int = 0
    max_depth: int = 0

    @property
    def cost_unknown(self) -> bool:
        return self.unknown_cost_calls > 0

    @property
    def cost_usd(self) -> float | None:
        return None if self.unknown_cost_calls else self.known_cost_usd

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = self.cost_usd
        data["cost_unknown"] = self.cost_unknown
        data["total_tokens"] = self.total_tokens
        return data


def cost_is_unknown(node: NodeRecord) -> bool:
    """A finished call without a price; a failed call that used no tokens cost nothing."""
    if node.cost_usd is not None:
        return False
    return not (node.error and node.input_tokens == 0 and node.output_tokens == 0)


def contribution(node: NodeRecord) -> list[float]:
    """The additive figures one node adds to its own and every ancestor's totals (order: FIELDS)."""
    kind = node.kind
    unknown = cost_is_unknown(node)
    return [
        node.input_tokens,
        node.output_tokens,
        0.0 if unknown or node.cost_usd is None else node.cost_usd,
        1 if unknown else 0,
        1 if kind == "subcall" else 0,
        1 if kind == "model_call" else 0,
        1 if kind == "cell" else 0,
        1 if kind == "run" and node.depth > 0 else 0,
        1 if kind == "iteration" else 0,
        1 if node.status in ERROR_STATUSES else 0,
    ]


def make_totals(vector: list[float], max_depth: int, *, exclude_self_run: bool = False) -> Totals:
    values = dict(zip(FIELDS, vector))
    for name in FIELDS:
        if name != "known_cost_usd":
            values[name] = int(values[name])
    if exclude_self_run:
        values["child_runs"] -= 1
    return Totals(**values, max_depth=max_depth)


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
    return make_totals(vector, max_depth, exclude_self_run=root.kind == "run" and root.depth > 0)
