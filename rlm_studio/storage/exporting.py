"""Export a stored run: our own JSONL (lossless), or the official RLMLogger JSONL for their visualizer."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    Event,
    FinalAnswer,
    IterationFinished,
    IterationStarted,
    ModelCallFinished,
    ModelCallStarted,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from rlm_studio.engine.run_tree import NodeEvents, RunTree, Totals

from .errors import StorageError
from .run_file import write_run_file

if TYPE_CHECKING:
    from .store import Store

FORMATS = ("rlm-studio", "official")


def export_run(store: Store, run_id: str, path: Path | None, format: str = "rlm-studio",
               out: IO[str] | None = None) -> Path | None:
    """Write the run to `path` (returned), or to `out` when given."""
    if format not in FORMATS:
        raise StorageError(f"unknown export format {format!r}; use one of: {', '.join(FORMATS)}")
    run = store.get_run(run_id)
    events = store.load_events(run_id)
    if out is None:
        if path is None:
            raise StorageError("give a file to export to")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                _write(handle, run, events, format)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path
    _write(out, run, events, format)
    return None


def _write(out: IO[str], run: dict[str, Any], events: list[Event], format: str) -> None:
    if format == "rlm-studio":
        write_run_file(out, run, events)
    else:
        for line in official_lines(events):
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).isoformat()


class _Tree(NodeEvents):
    """The run's events by node (the one registry of node-opening events) and its run tree's totals."""

    def __init__(self, events: list[Event]):
        super().__init__(events)
        self.run_tree = RunTree.from_events(events)


def _usage_summary(model: str, totals: Totals) -> dict[str, Any]:
    """The official format's usage of a call or a child run: the one totals (model calls, tokens, cost)."""
    summary: dict[str, Any] = {"total_calls": totals.model_calls, "total_input_tokens": totals.input_tokens,
                               "total_output_tokens": totals.output_tokens}
    priced = totals.model_calls > totals.unknown_cost_calls   # some call in it has a known price
    if priced:
        summary["total_cost"] = totals.known_cost_usd
    result: dict[str, Any] = {"model_usage_summaries": {model or "unknown": summary}}
    if priced:
        result["total_cost"] = totals.known_cost_usd
    return result


def official_lines(events: list[Event]) -> list[dict[str, Any]]:
    tree = _Tree(events)
    roots = tree.kids(None, RunStarted)
    if not roots:
        raise StorageError("this run has no run_started event; it cannot be exported")
    root = roots[0]
    # "root_prompt" is ours (their visualizer ignores unknown keys): the question, which their format lacks
    lines: list[dict[str, Any]] = [{"type": "metadata", "timestamp": _iso(root.ts), **_run_metadata(root),
                                    "root_prompt": root.question}]
    lines += _iterations(tree, root)
    return lines


def _run_metadata(run: RunStarted) -> dict[str, Any]:
    settings = run.settings or {}
    return {"root_model": run.root_model, "max_depth": settings.get("max_depth", 1),
            "max_iterations": settings.get("max_iterations", 30), "backend": "rlm-studio",
            "backend_kwargs": {"model_name": run.root_model}, "environment_type": run.isolation or "local",
            "environment_kwargs": {}, "other_backends": [run.sub_model] if run.sub_model else None}


def _iterations(tree: _Tree, run: RunStarted) -> list[dict[str, Any]]:
    finals = tree.kids(run.node_id, FinalAnswer)
    entries = []
    iterations = tree.kids(run.node_id, IterationStarted)
    for number, iteration in enumerate(iterations, start=1):
        next_seq = iterations[number].seq if number < len(iterations) else float("inf")
        calls = tree.kids(iteration.node_id, ModelCallStarted)
        call = calls[0] if calls else None
        response_event = tree.closing(call.node_id, ModelCallFinished) if call else None
        final = next((f for f in finals if iteration.seq < f.seq < next_seq), None)
        blocks = [_code_block(tree, cell, final) for cell in tree.kids(iteration.node_id, CellStarted)]
        closed = tree.closing(iteration.node_id, IterationFinished)
        entries.append({
            "type": "iteration", "iteration": number, "timestamp": _iso(closed.ts if closed else iteration.ts),
            "prompt": call.messages if call else [],
            "response": response_event.response if response_event else "",
            "code_blocks": blocks,
            "final_answer": final.answer if final else None,
            "iteration_time": (closed.ts - iteration.ts) if closed else None,
        })
    return entries


def _code_block(tree: _Tree, cell: CellStarted, final: FinalAnswer | None) -> dict[str, Any]:
    done = tree.closing(cell.node_id, CellFinished)
    calls: list[dict[str, Any]] = []
    for node_id in tree.children.get(cell.node_id, []):
        opened = tree.opened[node_id]
        if isinstance(opened, SubcallStarted):
            closed = tree.closing(node_id, SubcallFinished)
            call: dict[str, Any] = {
                "root_model": (closed.model if closed and closed.model else opened.model),
                "prompt": opened.prompt, "response": closed.response if closed else "",
                "usage_summary": _usage_summary(opened.model, tree.run_tree.totals(node_id)),
                "execution_time": (closed.latency_ms / 1000.0) if closed else 0.0}
            error = closed.error_info if closed else None
            if error is not None:
                call["error"] = error.message
            calls.append(call)
        elif isinstance(opened, RunStarted):
            calls.append(_child_call(tree, opened))
    final_here = final is not None and final.source == "code" and final.cell_id == cell.node_id
    return {"code": cell.code, "result": {
        "stdout": done.stdout if done else "", "stderr": done.stderr if done else "",
        "locals": {v.get("name"): v.get("preview", v.get("type", "")) for v in (done.variables if done else [])
                   if isinstance(v, dict) and v.get("name")},
        "execution_time": (done.duration_ms / 1000.0) if done else 0.0,
        "rlm_calls": calls,
        "final_answer": final.answer if final is not None and final_here else None}}


def _child_call(tree: _Tree, run: RunStarted) -> dict[str, Any]:
    finished = tree.closing(run.node_id, RunFinished)
    return {"root_model": run.root_model, "prompt": run.question,
            "response": (finished.answer or "") if finished else "",
            "usage_summary": _usage_summary(run.root_model, tree.run_tree.totals(run.node_id)),
            "execution_time": (finished.ts - run.ts) if finished else 0.0,
            "metadata": {"run_metadata": _run_metadata(run), "iterations": _iterations(tree, run)}}
