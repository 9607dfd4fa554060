"""A run stopped because it used all its iterations without answering."""

from __future__ import annotations

from rlm_studio.engine.events import RunFinished

from .base import Finding, RunFacts, Thresholds


def detect_iteration_limit(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for e in facts.of_type(RunFinished):
        if e.limit == "max_iterations":
            node = facts.tree.nodes.get(e.node_id)
            iterations = facts.tree.totals(e.node_id).iterations if node else 0
            which = "The run" if node is None or node.depth == 0 else f"A child run (depth {node.depth})"
            candidate = getattr(e, "best_candidate", None) or {}
            closest = ""
            if candidate.get("source", "").startswith("variable "):   # the last response is no evidence
                shown = " ".join(str(candidate.get("text", "")).split())[:60]
                closest = f" (it had computed {candidate['source'].removeprefix('variable ')} = {shown})"
            findings.append(Finding("iteration_limit",
                                    f"{which} reached its iteration limit after {iterations} iterations "
                                    f"without giving a final answer{closest}.", [e.node_id] if node else []))
    return findings
