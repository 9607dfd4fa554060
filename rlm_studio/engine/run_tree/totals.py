"""The one set of counts of a run (or any subtree): what one node adds, and the summed figures.

Every surface (the engine's RunResult, the runs table, show, runs, diff, both exports, detectors,
charts, the app) reads its counts from `Totals`; the README's glossary says what each one means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from .node import NodeRecord

ERROR_STATUSES = frozenset({"error", "timeout", "crashed", "failed"})

# Order of the additive figures in a contribution vector (see `contribution`).
FIELDS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "known_cost_usd",
          "unknown_cost_calls", "subcalls", "root_calls", "cells", "child_runs", "tree_iterations", "errors")


@dataclass(slots=True)
class Totals:
    """Figures of a node and everything below it (see the README's glossary).

    iterations: the turns of the subtree's own run loop (for a run node: its iteration children);
    tree_iterations: every iteration in the subtree, child runs' included. root_calls: calls of an RLM's root model
    (model_call nodes, child runs' included). subcalls: each llm_query / llm_query_batched item (and an
    rlm_query answered by the sub-model at the depth limit); a child run is not a sub-call.
    model_calls = root_calls + subcalls. child_runs: runs strictly below the node. `cost_usd` is None when
    any call has an unknown price; `known_cost_usd` is then the priced part (a lower bound).
    max_depth: the deepest recursion depth of any node in the subtree.

    A value: treat it as read-only (not frozen only because a frozen dataclass is 20x slower to make, and
    a 10,000-node run makes one per node).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    known_cost_usd: float = 0.0
    unknown_cost_calls: int = 0
    subcalls: int = 0
    root_calls: int = 0
    cells: int = 0
    child_runs: int = 0
    tree_iterations: int = 0
    iterations: int = 0
    errors: int = 0
    max_depth: int = 0

    @property
    def model_calls(self) -> int:
        return self.root_calls + self.subcalls

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
        unknown = self.unknown_cost_calls > 0
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cached_tokens": self.cached_tokens, "reasoning_tokens": self.reasoning_tokens,
                "known_cost_usd": self.known_cost_usd, "unknown_cost_calls": self.unknown_cost_calls,
                "subcalls": self.subcalls, "root_calls": self.root_calls, "cells": self.cells,
                "child_runs": self.child_runs, "tree_iterations": self.tree_iterations, "iterations": self.iterations,
                "errors": self.errors, "max_depth": self.max_depth, "model_calls": self.root_calls + self.subcalls,
                "cost_usd": None if unknown else self.known_cost_usd, "cost_unknown": unknown,
                "total_tokens": self.input_tokens + self.output_tokens}

    def counts(self) -> dict[str, Any]:
        """The named counts every surface shows (what the cross-surface check compares)."""
        return {"iterations": self.iterations, "tree_iterations": self.tree_iterations,
                "root_calls": self.root_calls, "subcalls": self.subcalls, "child_runs": self.child_runs,
                "model_calls": self.model_calls, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cached_tokens": self.cached_tokens,
                "cost_usd": self.cost_usd, "cost_unknown": self.cost_unknown, "max_depth": self.max_depth}

    def result_dict(self, duration_ms: float) -> dict[str, Any]:
        """What a run reports as its totals (RunResult.totals, run_finished.totals): `to_dict()`, the
        runs table's name for the depth, and how long the run took."""
        out = self.to_dict()
        out["max_depth_reached"] = self.max_depth
        out["duration_ms"] = duration_ms
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Totals:
        """Read back `to_dict()` (unknown keys and the derived ones are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def cost_is_unknown(node: NodeRecord) -> bool:
    """A finished call without a price; a failed call that used no tokens cost nothing."""
    if node.cost_usd is not None:
        return False
    return not (node.error and node.input_tokens == 0 and node.output_tokens == 0)


# per node kind: (subcalls, root_calls, cells, tree_iterations), the counts a node adds by being there
_KIND_COUNTS = {"subcall": (1, 0, 0, 0), "model_call": (0, 1, 0, 0), "cell": (0, 0, 1, 0), "iteration": (0, 0, 0, 1)}
_NO_COUNTS = (0, 0, 0, 0)


def contribution(node: NodeRecord) -> list[float]:
    """The additive figures one node adds to its own and every ancestor's totals (order: FIELDS).
    Runs for every event that opens or closes a node, so it is written out flat."""
    cost = node.cost_usd
    unknown = cost is None and cost_is_unknown(node)
    subcalls, root_calls, cells, iterations = _KIND_COUNTS.get(node.kind, _NO_COUNTS)
    return [
        node.input_tokens,
        node.output_tokens,
        node.cached_tokens,
        node.reasoning_tokens,
        0.0 if cost is None else cost,
        1 if unknown else 0,
        subcalls,
        root_calls,
        cells,
        1 if node.depth > 0 and node.kind == "run" else 0,
        iterations,
        1 if node.status in ERROR_STATUSES else 0,
    ]


def make_totals(vector: Sequence[float], max_depth: int, *, node: NodeRecord, own_iterations: int) -> Totals:
    """Totals from a summed vector (order: FIELDS); `node` is the subtree's top (a child run does not count
    itself among its child runs). Runs for every node shown, so it is written out rather than looped."""
    inp, out, cached, reasoning, cost, unknown, subcalls, root_calls, cells, child_runs, tree_its, errors = vector
    if node.kind == "run" and node.depth > 0:
        child_runs -= 1
    # positional, in the field order of Totals (checked below: FIELDS + iterations + max_depth)
    return Totals(int(inp), int(out), int(cached), int(reasoning), float(cost), int(unknown), int(subcalls),
                  int(root_calls), int(cells), int(child_runs), int(tree_its), own_iterations, int(errors), max_depth)


assert tuple(f.name for f in fields(Totals)) == (*FIELDS[:-1], "iterations", "errors", "max_depth"), "positional"
