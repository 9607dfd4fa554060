"""FINAL misused: a variable name or code given as the answer, FINAL_VAR of an undefined name,
a plan that mentions FINAL taken as the answer, or a template placeholder."""

from __future__ import annotations

import re

from rlm_studio.engine.events import FinalAnswer, Notice

from .answer_protocol import detect_protocol_confusion
from .base import Finding, RunFacts, Thresholds

_PLAN = re.compile(
    r"^\s*(?:I will|I'll|I am going to|I'm going to|Let me|Next,? I(?: will|'ll)?|First,? I(?: will|'ll)?|"
    r"Now,? I(?: will|'ll)?|I need to|I should|I can now)\s+(?:now\s+|first\s+|then\s+)?"
    r"(?:call|use|check|look|compute|calculate|search|examine|analy[sz]e|read|find|count|provide|give|return|"
    r"answer|start|begin|try|inspect|iterate|process|split|run|write|verify|continue|query|summari[sz]e|"
    r"extract|go|output|print|store|assign|determine|identify|review|scan|filter|collect|gather|combine)\b",
    re.IGNORECASE)
_MENTIONS_FINAL = re.compile(r"\bFINAL(_VAR)?\b")
_PLACEHOLDER = re.compile(
    r"^[\s\"'`]*(?:[<\[{]{1,2}\s*(?:your|the|final|insert|computed)?[\s_-]*(?:final[\s_-]*)?"
    r"(?:answer|result|value|response|output)(?:[\s_-]*here)?\s*[>\]}]{1,2}|\.\.\.|…|"
    r"(?:your|the) (?:final )?answer (?:goes )?here|ANSWER_HERE|TODO|TBD|PLACEHOLDER)[\s\"'`.]*$",
    re.IGNORECASE)
_BUILTIN_CALLS = {"print", "len", "str", "int", "float", "sum", "sorted", "max", "min", "list", "dict", "set",
                  "repr", "llm_query", "llm_query_batched", "rlm_query", "FINAL", "FINAL_VAR", "SHOW_VARS", "SUBMIT"}
_TEXT_VIAS = ("FINAL", "SUBMIT", "answer")   # ways of answering that take the text itself (not a variable)
_CALL = re.compile(r"^([A-Za-z_][\w.]*)\s*\(.*\)\s*;?$", re.DOTALL)
_SUBSCRIPT = re.compile(r"^([A-Za-z_]\w*)\s*\[.*\]$", re.DOTALL)
_CODE_LINE = re.compile(r"^\s*(def |import |from \w+ import |for .+ in .+:|while .+:|if .+:|return\b|[A-Za-z_]\w* = )")


def _names_defined(facts: RunFacts, run: str) -> set[str]:
    """Variable and function names the run's REPL had: from variable summaries and assignments in code."""
    names: set[str] = {"context"}
    for cell in facts.run_cells(run):
        for var in getattr(facts.finished.get(cell), "variables", None) or []:
            if isinstance(var, dict) and var.get("name"):
                names.add(str(var["name"]))
        code = getattr(facts.started.get(cell), "code", "")
        names.update(re.findall(r"^\s*([A-Za-z_]\w*)\s*(?:,\s*[A-Za-z_]\w*\s*)*=(?!=)", code, re.MULTILINE))
        names.update(re.findall(r"^\s*def\s+([A-Za-z_]\w*)", code, re.MULTILINE))
    return names


def _looks_like_code(answer: str, names: set[str]) -> bool:
    if "```" in answer:
        return True
    call = _CALL.match(answer)
    if call and (call.group(1).split(".")[0] in _BUILTIN_CALLS | names):
        return True
    subscript = _SUBSCRIPT.match(answer)
    if subscript and subscript.group(1) in names:
        return True
    lines = [line for line in answer.splitlines() if line.strip()]
    return len(lines) >= 2 and sum(bool(_CODE_LINE.match(line)) for line in lines) * 2 >= len(lines)


def _judge(answer: str, via: str, names: set[str]) -> str | None:
    text = answer.strip()
    short = " ".join(text.split())[:80]
    if not text:
        return None
    if _PLACEHOLDER.match(text):
        return f"The final answer \"{short}\" is a template placeholder, not an answer."
    if _MENTIONS_FINAL.search(text):
        return f"The final answer \"{short}\" mentions FINAL itself: a plan or instruction was taken as the answer."
    if _PLAN.match(text):
        return f"The final answer \"{short}\" reads as a plan of what to do next, not as an answer."
    how = 'answer["content"]' if via == "answer" else via
    if via in _TEXT_VIAS and text.isidentifier() and text in names:
        return (f"{how} was given the text \"{text}\", the name of a REPL variable, instead of its value "
                f"({'FINAL_VAR(' + text + ')' if via == 'FINAL' else 'the variable itself'} gives the value).")
    if via in _TEXT_VIAS and _looks_like_code(text, names):
        return f"{how} was given code (\"{short}\") as the answer instead of the value it computes."
    return None


def detect_final_confusion(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    names_by_run: dict[str, set[str]] = {}
    for e in facts.of_type(FinalAnswer):
        run = e.parent_id or ""
        if run not in names_by_run:
            names_by_run[run] = _names_defined(facts, run) if run in facts.tree else {"context"}
        reason = _judge(e.answer or "", e.via, names_by_run[run])
        if reason:
            findings.append(Finding("final_confusion", reason, [e.node_id]))
    for n in facts.of_type(Notice):
        if n.code == "final_var_undefined":
            message = " ".join((n.message or "").split())[:120]
            findings.append(Finding("final_confusion",
                                    f"FINAL_VAR named a variable that does not exist in the REPL ({message}).",
                                    [n.node_id] if n.node_id in facts.tree else []))
    return findings + detect_protocol_confusion(facts, t)
