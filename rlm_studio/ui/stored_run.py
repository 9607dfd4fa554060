"""A stored run read for the run view (events, tree, failure-mode findings, fork links), and the
failure-mode detection the app runs when a run ends or is first opened. Touches no widget: runs on worker threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .run_view import RunView, fork_iteration  # build and fork_iteration are plain Python


def detect_failure_modes(events: list[Any], thresholds: Any = None) -> list[Any]:
    """analysis.failure_modes.detect_failure_modes, imported when first needed."""
    from rlm_studio.analysis.failure_modes import detect_failure_modes as detect

    return detect(events, thresholds)


def recorded_response(events: list[Any], iteration_node: str) -> str:
    """The root model's recorded response in the iteration `iteration_node` ("" when there is none)."""
    call = next((e.node_id for e in events if e.kind == "model_call_started" and e.parent_id == iteration_node), None)
    finished = next((e for e in events if e.kind == "model_call_finished" and e.node_id == call), None)
    return (finished.response or "") if finished is not None and not finished.error else ""


@dataclass
class StoredRun:
    """A stored run read for the run view: built on a worker thread, shown on the UI thread."""

    index: Any
    tree: Any
    info: dict[str, Any]
    findings: list[dict[str, Any]]
    flags_saved: bool = False                       # findings were computed (and stored) just now
    parent: tuple[str, str, int] | None = None      # (run id, title, iteration) of the run it was forked from
    forks: list[tuple[str, str, int]] = field(default_factory=list)


def load_stored_run(store: Any, run_id: str, thresholds: Any = None) -> StoredRun:
    """Events, tree, failure-mode findings (computed and stored the first time) and fork links of a run."""
    events = store.load_events(run_id)
    index, tree = RunView.build(events)
    info = store.get_run(run_id)
    flags_saved = False
    if info.get("flags_computed"):
        findings = store.findings(run_id)
    else:
        findings = [f.to_dict() for f in detect_failure_modes(index.events, thresholds)]
        store.save_findings(run_id, findings)
        flags_saved = True
    parent = None
    forked = getattr(index.root_started, "forked_from", None) or {}
    parent_id = info.get("parent_run_id") or forked.get("run_id")
    if parent_id:
        try:
            parent_info = store.get_run(parent_id)
            title = parent_info.get("name") or parent_info.get("question") or parent_id[:8]
        except Exception:  # the parent was deleted
            title = f"{parent_id[:8]} (deleted)"
        parent = (parent_id, title, int(forked.get("iteration") or 0))
    forks = []
    for fork in store.forks(run_id):
        at = fork_iteration(tree, fork.get("fork_node_id"))
        forks.append((fork["id"], fork.get("name") or fork.get("question") or fork["id"][:8], at or 0))
    return StoredRun(index, tree, info, findings, flags_saved, parent, forks)
