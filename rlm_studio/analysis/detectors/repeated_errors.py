"""The same error in several consecutive cells: the model is not learning from the feedback."""

from __future__ import annotations

from .base import Finding, RunFacts, Thresholds


def _error_key(facts: RunFacts, cell: str) -> tuple[str, str] | None:
    error = getattr(facts.finished.get(cell), "error", None)
    if not error:
        return None
    return str(error.get("type") or "Error"), " ".join(str(error.get("message") or "").split())


def _streak_finding(key: tuple[str, str] | None, streak: list[str], t: Thresholds) -> list[Finding]:
    """The finding for a streak of cells that failed with the same error, when it is long enough."""
    if key is None or len(streak) < t.repeated_error_count:
        return []
    message = f"{key[0]}: {key[1]}"[:100]
    return [Finding("repeated_errors",
                    f"{len(streak)} consecutive cells failed with the same error ({message}).", list(streak))]


def detect_repeated_errors(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings: list[Finding] = []
    for run in facts.runs():
        streak: list[str] = []
        key: tuple[str, str] | None = None
        for cell in facts.run_cells(run):
            current = _error_key(facts, cell) if cell else None
            if current is not None and current == key:
                streak.append(cell)
                continue
            findings += _streak_finding(key, streak, t)
            key, streak = current, [cell] if current is not None else []
        findings += _streak_finding(key, streak, t)   # the last streak
    return findings
