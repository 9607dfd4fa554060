"""A stored run read for the app (tree, findings, fork links, isolation) as an OpenRun, and the
recorded root response a fork starts from. Touches no widget: runs on worker threads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlm_studio.analysis.findings import detect_and_save_findings
from rlm_studio.analysis.open_run import OpenRun, RunLink
from rlm_studio.engine.gc_paused import gc_paused


def open_stored(store: Any, run_id: str) -> OpenRun:
    """The run from its node rows and the events about the run as a whole; a run without node rows (none
    is stored so, but a database may have lost them) is folded from its events."""
    tree = store.load_column_tree(run_id)
    root = tree.root_id
    if root is None:
        return OpenRun.from_events(store.load_events(run_id), run_id)
    node = tree.node(root)
    return OpenRun.from_stored(tree, store.load_run_events(run_id, (node.start_seq, node.end_seq)),
                               lambda n: store.load_events_at(run_id, (n.start_seq, n.end_seq)), run_id)


def recorded_response(events: list[Any], iteration_node: str) -> str:
    """The root model's recorded response in the iteration `iteration_node` ("" when there is none)."""
    call = next((e.node_id for e in events if e.kind == "model_call_started" and e.parent_id == iteration_node), None)
    finished = next((e for e in events if e.kind == "model_call_finished" and e.node_id == call), None)
    return (finished.response or "") if finished is not None and not finished.error else ""


@dataclass
class StoredRun:
    """A stored run read for the app: built on a worker thread, shown on the UI thread."""

    run: OpenRun
    info: dict[str, Any]
    findings_saved: bool = False   # findings were detected (and saved) just now: the history shows new badges


def load_stored_run(store: Any, run_id: str, thresholds: Any = None) -> StoredRun:
    """Tree, findings (the saved ones; detected and saved the first time), fork links and isolation of a
    run. The tree comes from the node rows in one query; a node's events are read when it is selected.
    One bulk build for the garbage collector (see engine.gc_paused): the app's collector holds off until
    it is done, then freezes what it made."""
    with gc_paused():
        return _load_stored_run(store, run_id, thresholds)


def _load_stored_run(store: Any, run_id: str, thresholds: Any) -> StoredRun:
    info = store.get_run(run_id)
    run = open_stored(store, info["id"])
    saved = False
    if info.get("findings_computed"):
        run.set_findings(store.findings(run_id))
    else:   # an imported or older run: its events are read once, to detect them
        run.set_findings(detect_and_save_findings(store, run_id, store.load_events(run_id), thresholds, run.tree))
        saved = True
    run.set_isolation(info.get("isolation") or "")
    parent = None
    forked = getattr(run.root_started, "forked_from", None) or {}
    if not isinstance(forked, dict):
        forked = {"run_id": getattr(forked, "run_id", None), "iteration": getattr(forked, "iteration", 0)}
    parent_id = info.get("parent_run_id") or forked.get("run_id")
    if parent_id:
        try:
            parent_info = store.get_run(parent_id)
            title = parent_info.get("name") or parent_info.get("question") or parent_id[:8]
        except Exception:  # the parent was deleted
            title = f"{parent_id[:8]} (deleted)"
        parent = RunLink(parent_id, title, int(forked.get("iteration") or 0))
    forks = [RunLink(fork["id"], fork.get("name") or fork.get("question") or fork["id"][:8],
                     run.fork_iteration(fork.get("fork_node_id")) or 0) for fork in store.forks(run_id)]
    run.set_links(parent, forks)
    return StoredRun(run, info, saved)
