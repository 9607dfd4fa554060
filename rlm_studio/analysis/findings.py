"""Failure-mode findings of a run: the one place that detects them and saves them with the run.

"Findings" is the word for them everywhere (code, CLI, app): each is {kind, reason, nodes}, one detected
failure mode with a one-sentence reason and the nodes it points at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from rlm_studio.engine.events import Event

from .tree import RunTree


class FindingsStore(Protocol):
    """What saving needs from the store (storage.Store has it)."""

    def save_findings(self, run_id: str, findings: list[dict[str, Any]]) -> None: ...


def detect_findings(events: Iterable[Event | dict[str, Any]], thresholds: Any = None,
                    tree: RunTree | None = None) -> list[dict[str, Any]]:
    """The run's findings as dicts {kind, reason, nodes}, in the detectors' order (`tree`: the events'
    run tree when the caller has built it already)."""
    from .failure_modes import detect_failure_modes

    return [f.to_dict() for f in detect_failure_modes(events, thresholds, tree=tree)]


def detect_and_save_findings(store: FindingsStore | None, run_id: str, events: Iterable[Event | dict[str, Any]],
                             thresholds: Any = None, tree: RunTree | None = None) -> list[dict[str, Any]]:
    """Detect the run's findings and, with a store, replace the saved ones (history badges, `runs
    --finding`); returns them. Pure Python: run it off the UI thread."""
    findings = detect_findings(events, thresholds, tree)
    if store is not None:
        store.save_findings(run_id, findings)
    return findings
