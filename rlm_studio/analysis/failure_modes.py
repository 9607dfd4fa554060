"""Spot the known ways an RLM run goes wrong (see detectors/ for one file per failure mode)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event

from .detectors import DETECTORS, KINDS, Finding, RunFacts, Thresholds
from .tree import RunTree


def detect_failure_modes(events: Iterable[Event | dict[str, Any]], thresholds: Thresholds | dict[str, Any] | None = None,
                         *, kinds: Iterable[str] | None = None, tree: RunTree | None = None) -> list[Finding]:
    """Findings of every detector (or only `kinds`) over one run's events, in KINDS order (`tree`: the
    events' run tree when the caller has it already)."""
    if isinstance(thresholds, dict):
        thresholds = Thresholds.from_dict(thresholds)
    thresholds = thresholds or Thresholds()
    wanted = list(KINDS if kinds is None else kinds)
    unknown = [k for k in wanted if k not in DETECTORS]
    if unknown:
        raise ValueError(f"unknown failure mode(s): {', '.join(unknown)}; known: {', '.join(KINDS)}")
    facts = RunFacts.read(events, tree)
    findings: list[Finding] = []
    for kind in wanted:
        findings.extend(DETECTORS[kind](facts, thresholds))
    return findings


__all__ = ["detect_failure_modes", "Finding", "Thresholds", "KINDS"]
