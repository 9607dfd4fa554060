"""Iterations where the root model wrote no ```repl block and did not answer: a wasted turn."""

from __future__ import annotations

from rlm_studio.engine.events import IterationFinished, ModelCallFinished, Notice

from .base import Finding, RunFacts, Thresholds


def detect_no_code(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    refused_final = {e.node_id for e in facts.of_type(Notice) if e.code == "final_var_undefined"}
    for run in facts.runs():
        for it in facts.children_of_kind(run, "iteration"):
            done = facts.closing(it, IterationFinished)
            if done is None or done.ended_run or done.code_blocks or facts.children_of_kind(it, "cell"):
                continue  # unfinished, answered, or ran code
            if it in refused_final:
                continue  # it tried to answer with FINAL_VAR: final_confusion reports that
            calls = facts.children_of_kind(it, "model_call")
            call_end = facts.closing(calls[0], ModelCallFinished) if calls else None
            if call_end is None or call_end.error:
                continue  # the model call failed: no response to judge
            findings.append(Finding("no_code",
                                    f"The root response of iteration {done.index} had no ```repl block and did "
                                    "not end the run.", [it, *calls]))
    return findings
