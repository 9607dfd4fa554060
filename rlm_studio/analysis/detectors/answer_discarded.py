"""The REPL computed an answer-shaped value, but the final answer says something else.

Conservative on purpose: it only looks at variables named like an answer (`final_answer`,
`answer`, `result`, ...) in the run's latest variable summaries, and at printed lines such as
"answer: X"; it compares numbers with numbers and short texts with short texts, and fires only
when the final answer neither equals nor contains the computed value.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from rlm_studio.engine.events import FinalAnswer

from .answer_protocol import detect_answer_not_ready
from .base import Finding, RunFacts, Thresholds

ANSWER_NAMES = ("final_answer", "answer", "final_result", "result", "ans")
STRONG_NAMES = ("final_answer", "answer", "final_result")
TEXT_ANSWER_NAMES = ("final_answer", "answer")   # a text `result` is too often an intermediate value
_PRINTED = re.compile(r"^\s*(final[ _]?answer|answer|final[ _]?result)\s*[:=]\s*(.+?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")


def _number(text: str) -> float | None:
    """The value of a text that is one number (thousands separators and a trailing % allowed)."""
    cleaned = text.strip().rstrip("%").replace(",", "").replace("_", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _numbers_in(text: str) -> list[float]:
    return [float(m.replace(",", "")) for m in _NUMBER.findall(text) if m.replace(",", "").strip("+-.")]


def _value_of_summary(summary: str) -> str | None:
    """The value a repr summary shows, or None when it is truncated or not a plain scalar."""
    summary = summary.strip()
    if not summary or "..." in summary:
        return None
    try:
        value = ast.literal_eval(summary)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s.%-]", " ", text.lower()).split()).strip(" .")


def _differs(computed: str, answer: str, *, text_allowed: bool, strong: bool) -> bool:
    """True when `answer` clearly does not give `computed` (same shape, different value).
    A weakly named value (`result`, `ans`) is only compared with an answer that is a bare number."""
    number = _number(computed)
    if number is not None:
        answer_number = _number(answer)
        if answer_number is not None:
            return abs(answer_number - number) > 1e-9 * max(1.0, abs(number))
        if not strong:
            return False
        found = _numbers_in(answer)
        return len(found) == 1 and abs(found[0] - number) > 1e-9 * max(1.0, abs(number))
    if not text_allowed or _number(answer) is not None:
        return False
    a, c = _norm(answer), _norm(computed)
    if not a or not c or len(c) > 80 or "\n" in computed.strip() or len(a) > 200:
        return False
    return c not in a and a not in c


def _last_variables(facts: RunFacts, cells: list[str]) -> tuple[str, list[dict[str, Any]]] | None:
    for cell in reversed(cells):
        variables = getattr(facts.finished.get(cell), "variables", None)
        if variables:
            return cell, variables
    return None


def _candidates(facts: RunFacts, run: str) -> list[tuple[str, str, str, bool, bool]]:
    """(where, value, cell, text_allowed, strong) of answer-shaped values the run computed, strongest first."""
    cells = facts.run_cells(run)
    found = []
    latest = _last_variables(facts, cells)
    if latest:
        cell, variables = latest
        by_name = {v.get("name"): v for v in variables if isinstance(v, dict)}
        for name in ANSWER_NAMES:
            summary = (by_name.get(name) or {}).get("summary")
            value = _value_of_summary(summary) if isinstance(summary, str) else None
            if value is not None:
                found.append((f"variable `{name}`", value, cell, name in TEXT_ANSWER_NAMES, name in STRONG_NAMES))
    for cell in reversed(cells):
        stdout = getattr(facts.finished.get(cell), "stdout", "") or ""
        printed = [m for m in map(_PRINTED.match, stdout.splitlines()) if m]
        if printed:
            found.append((f"the printed line \"{printed[-1].group(0).strip()[:80]}\"", printed[-1].group(2), cell, True, True))
            break
    return found


def detect_answer_discarded(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for e in facts.of_type(FinalAnswer):
        run = e.parent_id or ""
        if run not in facts.tree or not (e.answer or "").strip():
            continue
        for where, value, cell, text_allowed, strong in _candidates(facts, run):
            if e.via == "FINAL_VAR" and where == f"variable `{e.var_name}`":
                continue  # the answer is that variable's value
            if _differs(value, e.answer, text_allowed=text_allowed, strong=strong):
                shown = " ".join(e.answer.split())[:80]
                findings.append(Finding("answer_discarded",
                                        f"The REPL computed {value[:80]!r} ({where}) but the final answer is "
                                        f"\"{shown}\".", [cell, e.node_id]))
                break
    return findings + detect_answer_not_ready(facts, t)
