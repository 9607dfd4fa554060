"""Failure modes that depend on how the run was told to end (its answer protocol).

- final_confusion: the model ended with FINAL/FINAL_VAR in a run that asked for answer["ready"] or
  SUBMIT, or wrote the protocol's finishing code in its text, outside a ```repl block, where it
  never runs.
- answer_discarded: under answer-dict, `answer["content"]` held an answer but `answer["ready"]`
  was never set, so the run ended without it.
"""

from __future__ import annotations

import ast
import re

from rlm_studio.engine.events import FinalAnswer

from .base import Finding, RunFacts, Thresholds

_FENCED = re.compile(r"```.*?(?:```|\Z)", re.S)
_TEXT_MARKERS = {"submit": re.compile(r"\bSUBMIT\s*\("),
                 "answer-dict": re.compile(r"""\banswer\s*\[\s*["']ready["']\s*\]\s*=\s*True""")}
_NAMES = {"submit": "SUBMIT(...)", "answer-dict": 'answer["ready"] = True'}


def protocol_of(facts: RunFacts, run: str) -> str:
    """The run's answer protocol as recorded in its settings ("final" for runs from before it existed)."""
    started = facts.started.get(run)
    settings = getattr(started, "settings", None) or {}
    return str(settings.get("answer_protocol") or "final")


def detect_protocol_confusion(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for e in facts.of_type(FinalAnswer):
        protocol = protocol_of(facts, e.parent_id or "")
        via = getattr(e, "via", "")
        if protocol != "final" and via in ("FINAL", "FINAL_VAR"):
            findings.append(Finding("final_confusion",
                                    f"The run asked for {_NAMES[protocol]} to finish, but the model ended it with "
                                    f"{via} (the other template).", [e.node_id]))
    for run in facts.runs():
        protocol = protocol_of(facts, run)
        marker = _TEXT_MARKERS.get(protocol)
        if marker is None:
            continue
        for it in facts.children_of_kind(run, "iteration"):
            for call in facts.children_of_kind(it, "model_call"):
                response = getattr(facts.finished.get(call), "response", "") or ""
                if marker.search(_FENCED.sub("", response)):
                    findings.append(Finding("final_confusion",
                                            f"The model wrote {_NAMES[protocol]} in its text, outside a ```repl "
                                            "block, where it does not run.", [call]))
                    break
    return findings


def _content_of(summary: str) -> str | None:
    """answer["content"] from the REPL's summary of the `answer` dict, when it is readable and not empty."""
    try:
        value = ast.literal_eval(summary.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, dict) and value.get("ready") is not True and str(value.get("content") or "").strip():
        return str(value["content"])
    return None


def detect_answer_not_ready(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for run in facts.runs():
        if protocol_of(facts, run) != "answer-dict" or facts.children_of_kind(run, "final_answer"):
            continue
        for cell in reversed(facts.run_cells(run)):
            variables = getattr(facts.finished.get(cell), "variables", None) or []
            summary = next((v.get("summary") for v in variables if isinstance(v, dict) and v.get("name") == "answer"),
                           None)
            if summary is None:
                continue
            content = _content_of(summary) if isinstance(summary, str) else None
            if content is not None:
                findings.append(Finding("answer_discarded",
                                        f"answer[\"content\"] held {content[:80]!r} but answer[\"ready\"] was never "
                                        "set to True, so the run ended without that answer.", [cell]))
            break
    return findings
