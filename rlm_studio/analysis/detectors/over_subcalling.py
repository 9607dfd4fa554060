"""Too many sub-calls: per iteration, per input size, or the same prompt sent again and again."""

from __future__ import annotations

from collections import defaultdict

from rlm_studio.engine.events import ContextAttached

from .base import Finding, RunFacts, Thresholds


def _context_chars(facts: RunFacts) -> int:
    attached = facts.of_type(ContextAttached)
    if attached:
        return sum(e.chars or len(e.text) for e in attached)
    root = facts.started.get(facts.tree.root_id or "")
    meta = getattr(root, "context_meta", None) or {}
    return int(meta.get("chars") or meta.get("total_chars") or 0)


def _own_subcalls(facts: RunFacts, iteration: str) -> int:
    """The iteration's own sub-calls: its subtree's, less those of child runs its cells started (each child
    run's iterations are judged on their own)."""
    tree = facts.tree
    children = [r for cell in facts.children_of_kind(iteration, "cell") for r in facts.children_of_kind(cell, "run")]
    return tree.totals(iteration).subcalls - sum(tree.totals(r).subcalls for r in children)


def detect_over_subcalling(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    tree = facts.tree
    for run in facts.runs():
        for it in facts.children_of_kind(run, "iteration"):
            subcalls = _own_subcalls(facts, it)
            if subcalls > t.max_subcalls_per_iteration:
                node = tree.node(it)
                where = "" if node.depth == 0 else f" of the child run at depth {node.depth}"
                findings.append(Finding("over_subcalling",
                                        f"Iteration {node.iteration}{where} made {subcalls} sub-calls, more than "
                                        f"the {t.max_subcalls_per_iteration} allowed per iteration.", [it]))
    all_subcalls = tree.find("subcall")
    total = tree.totals().subcalls   # the run's sub-calls, as every surface counts them
    chars = _context_chars(facts)
    if chars and total >= t.min_subcalls_for_rate:
        rate = total / (chars / 1000)
        if rate > t.max_subcalls_per_1k_chars:
            findings.append(Finding("over_subcalling",
                                    f"The run made {total} sub-calls for {chars:,} characters of context "
                                    f"({rate:.1f} per 1,000 characters, above {t.max_subcalls_per_1k_chars:g}).",
                                    [tree.root_id] if tree.root_id else []))
    by_prompt: dict[str, list[str]] = defaultdict(list)
    for node_id in all_subcalls:
        prompt = getattr(facts.started.get(node_id), "prompt", "")
        if prompt.strip():
            by_prompt[prompt].append(node_id)
    for prompt, nodes in by_prompt.items():
        if len(nodes) >= t.repeated_prompt_count:
            preview = " ".join(prompt.split())[:60]
            findings.append(Finding("over_subcalling",
                                    f"The same sub-call prompt was sent {len(nodes)} times (\"{preview}\").", nodes))
    return findings
