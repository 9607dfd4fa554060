"""Lay a run's tree out as comparable items: "iteration 2 / cell 1 / sub-call 3" -> its texts.

Two runs are aligned by these paths: iterations by their index, then cells, sub-calls and child
runs by their order within the parent. Ids, timestamps and latencies are not part of an item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    Event,
    FinalAnswer,
    ModelCallFinished,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)

from ._events import as_events
from .tree import RunTree

Key = tuple[int, ...]


@dataclass
class Item:
    path: str
    key: Key              # sorts items of both runs into one reading order
    kind: str
    node_id: str
    fields: dict[str, Any] = field(default_factory=dict)


def _error_text(error: dict[str, Any] | None, type_key: str) -> str | None:
    if not error:
        return None
    return f"{error.get(type_key) or 'error'}: {error.get('message', '')}".strip()


def _payloads(events: list[Event]) -> dict[str, dict[str, Any]]:
    """The comparable texts of each node, read from its events."""
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        if isinstance(e, RunStarted):
            out.setdefault(e.node_id, {})["question"] = e.question
        elif isinstance(e, ModelCallFinished):
            p = out.setdefault(e.node_id, {})
            p["response"] = e.response
            p["error"] = _error_text(e.error, "kind")
        elif isinstance(e, CellStarted):
            out.setdefault(e.node_id, {})["code"] = e.code
        elif isinstance(e, CellFinished):
            p = out.setdefault(e.node_id, {})
            p["stdout"], p["stderr"] = e.stdout, e.stderr
            p["error"] = _error_text(e.error, "type") or (e.crashed and f"worker crashed: {e.crashed}") or \
                ("timed out" if e.timed_out else None)
        elif isinstance(e, SubcallStarted):
            out.setdefault(e.node_id, {})["prompt"] = e.prompt
        elif isinstance(e, SubcallFinished):
            p = out.setdefault(e.node_id, {})
            p["response"] = e.response
            p["error"] = _error_text(e.error, "kind")
        elif isinstance(e, FinalAnswer):
            out.setdefault(e.parent_id or "", {}).setdefault("final", e.answer)
        elif isinstance(e, RunFinished):
            p = out.setdefault(e.node_id, {})
            p["status"], p["run_answer"], p["limit"] = e.status, e.answer, e.limit
    return out


def align_items(events: Iterable[Event | dict[str, Any]], *, root_responses: bool = False) -> dict[str, Item]:
    """Every comparable item of the run, keyed by path, in depth-first order.

    Fields: run: status, answer, limit; model call: error (and response if `root_responses`);
    cell: code, stdout, stderr, error; sub-call: prompt, response, error.
    """
    events = as_events(events)
    tree = RunTree.from_events(events)
    payloads = _payloads(events)
    items: dict[str, Item] = {}
    if tree.root_id is None:
        return items

    def add(path: str, key: Key, node_id: str, fields: dict[str, Any]) -> None:
        kind = tree.node(node_id).kind
        items[path] = Item(path, key, kind, node_id, fields)

    def visit_run(run_id: str, path: str | None, key: Key) -> None:
        """`path` None: the root run (its item is "run", its iterations are "iteration N")."""
        p = payloads.get(run_id, {})
        answer = p.get("run_answer")
        if answer is None:
            answer = p.get("final")
        add(path or "run", key + (0,), run_id,
            {"status": p.get("status", "running"), "answer": answer, "limit": p.get("limit")})
        for child in tree.children(run_id):
            node = tree.node(child)
            if node.kind == "iteration":
                name = f"iteration {node.iteration}"
                visit_iteration(child, f"{path} / {name}" if path else name, key + (1, node.iteration or 0))

    def visit_iteration(iteration_id: str, path: str, key: Key) -> None:
        add(path, key + (0,), iteration_id, {})
        cells = 0
        for child in tree.children(iteration_id):
            node = tree.node(child)
            p = payloads.get(child, {})
            if node.kind == "model_call":
                fields = {"error": p.get("error")}
                if root_responses:
                    fields["response"] = p.get("response")
                add(f"{path} / model call", key + (1, 0), child, fields)
            elif node.kind == "cell":
                cells += 1
                cell_path = f"{path} / cell {cells}"
                add(cell_path, key + (2, cells, 0), child,
                    {f: p.get(f) for f in ("code", "stdout", "stderr", "error")})
                visit_cell(child, cell_path, key + (2, cells))

    def visit_cell(cell_id: str, path: str, key: Key) -> None:
        subcalls = runs = 0
        for child in tree.children(cell_id):
            node = tree.node(child)
            p = payloads.get(child, {})
            if node.kind == "subcall":
                subcalls += 1
                add(f"{path} / sub-call {subcalls}", key + (1, subcalls), child,
                    {f: p.get(f) for f in ("prompt", "response", "error")})
            elif node.kind == "run":
                runs += 1
                visit_run(child, f"{path} / child run {runs}", key + (2, runs))

    visit_run(tree.root_id, None, ())
    return items
