"""The same error in several consecutive cells: the model is not learning from the feedback."""

from __future__ import annotations

from .base import Finding, RunFacts, Thresholds


def _error_key(facts: RunFacts, cell: str) -> tuple[str, str] | None:
    error = getattr(facts.finished.get(cell), "error", None)
    if not error:
        return None
    return str(error.get("type") or "Error"), " ".join(str(error.get("message") or "").split())


def detect_repeated_errors(facts: RunFacts, t: Thresholds) -> list[Finding]:
    findings = []
    for run in facts.runs():
        streak: list[str] = []
        key = None
        for cell in facts.run_cells(run) + [None]:  # None closes the last streak
            current = _error_key(facts, cell) if cell else None
            if current is not None and current == key:
                streak.append(cell)
                continue
            if key is not None and len(streak) >= t.repeated_error_count:
                message = f"{key[0]}: {key[1]}"[:100]
                findings.append(Finding("repeated_errors",
                                        f"{len(streak)} consecutive cells failed with the same error ({message}).",
                                        list(streak)))
            key, streak = current, [cell] if current is not None else []
    return findings
