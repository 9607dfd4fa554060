"""The root prompt came close to the model's context window, or history had to be compacted."""

from __future__ import annotations

from rlm_studio.engine.events import HistoryCompacted, ModelCallStarted

from .base import Finding, RunFacts, Thresholds


def detect_context_pressure(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for e in facts.of_type(ModelCallStarted):
        if e.context_window and e.prompt_tokens >= t.context_pressure_ratio * e.context_window:
            share = e.prompt_tokens / e.context_window
            node = facts.tree.nodes.get(e.node_id)
            whose = "The root prompt" if node is None or node.depth == 0 else \
                f"The prompt of a child run (depth {node.depth})"
            findings.append(Finding("context_pressure",
                                    f"{whose} of iteration {e.iteration} used {e.prompt_tokens:,} of "
                                    f"{e.context_window:,} context-window tokens ({share:.0%}, at or above "
                                    f"{t.context_pressure_ratio:.0%}).", [e.node_id]))
    for c in facts.of_type(HistoryCompacted):
        folded = ", ".join(str(i) for i in c.iterations) or "some"
        findings.append(Finding("context_pressure",
                                f"The root history was compacted (iterations {folded} folded into a summary, "
                                f"{c.tokens_before:,} -> {c.tokens_after:,} tokens) to fit the context window.",
                                [c.node_id] if c.node_id in facts.tree else []))
    return findings
