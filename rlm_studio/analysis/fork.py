"""What a fork of a stored run keeps: the run up to (not including) root iteration N.

`fork_plan(events, at_iteration)` returns a ForkPlan:

  events       The source run's stored events whose seq is before root iteration N's
               `iteration_started`, deep copies re-stamped: run_id = new_run_id, seq = 1..len
               (the source order), timestamps and node ids unchanged. events[0] is the root
               `run_started`, with forked_from = {"run_id", "node_id" (iteration N's node in the
               source), "iteration": N}; `context_attached` events follow it. Whole subtrees of
               iterations 1..N-1 are kept (cells, sub-calls, child runs), and notices and
               compactions emitted before iteration N. Nothing of iteration N or later is kept:
               no final answer, no `run_finished`.
  messages     The exact root messages sent to the model at iteration N (system, first user
               message, compaction summary if any, then assistant/user turns): the conversation
               to continue from. None if iteration N never reached its model call.
  turns        The kept root turns as {"iteration", "response", "feedback", "exact"}: the root
               response of each iteration 1..N-1 and the REPL feedback the model got for it
               (read from the next iteration's messages; "exact" is False when that turn had
               been compacted away and the feedback was rebuilt from the cells' output).
               These map onto engine.history.Turn(iteration, response, feedback).
  cells        The root run's cells of iterations 1..N-1 in execution order, to re-run in a new
               REPL to rebuild its variables: {"node_id", "iteration", "index", "code", "error",
               "subcalls": [{"node_id", "prompt", "response", "error"}]} (the recorded sub-call answers, so
               re-running can serve them instead of calling the model again). `cell_codes` is the
               list of code strings alone.
  next_seq     The seq the continuing run's first new event should take (len(events) + 1).
  next_node_number  The first free number for node ids "n<number>" (one more than the highest kept).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from rlm_studio.engine.events import Event
from rlm_studio.engine.events import new_run_id as make_run_id

from ._events import as_events

_NODE_NUMBER = re.compile(r"^n(\d+)$")


@dataclass
class ForkPlan:
    source_run_id: str
    new_run_id: str
    at_iteration: int
    forked_from: dict[str, Any]
    events: list[Event]
    messages: list[dict[str, str]] | None
    turns: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    next_seq: int = 1
    next_node_number: int = 1

    @property
    def cell_codes(self) -> list[str]:
        return [cell["code"] for cell in self.cells]


def _root_iterations(events: list[Event], root: str) -> dict[int, Event]:
    return {e.index: e for e in events if e.kind == "iteration_started" and e.parent_id == root}


def _rebuilt_feedback(cells: list[dict[str, Any]], outputs: dict[str, Event]) -> str:
    parts = []
    for cell in cells:
        done = outputs.get(cell["node_id"])
        text = (getattr(done, "stdout", "") or "") if done else ""
        if done is not None and done.error:
            text += ("\n" if text else "") + f"{done.error.get('type')}: {done.error.get('message')}"
        parts.append(f"Output of repl block {cell['index']}:\n{text if text.strip() else '(no output)'}")
    return "\n\n".join(parts)


def fork_plan(events: Iterable[Event | dict[str, Any]], at_iteration: int, *,
              new_run_id: str | None = None) -> ForkPlan:
    """Everything a fork that re-does root iteration `at_iteration` onwards starts from (see module doc)."""
    events = sorted(as_events(events), key=lambda e: e.seq)
    start = next((e for e in events if e.kind == "run_started" and e.parent_id is None), None)
    if start is None:
        raise ValueError("cannot fork: these events hold no root run (no run_started event)")
    iterations = _root_iterations(events, start.node_id)
    if isinstance(at_iteration, bool) or not isinstance(at_iteration, int):
        raise ValueError(f"the iteration to fork at is a whole number, not {at_iteration!r}")
    if at_iteration not in iterations:
        have = f"1..{max(iterations)}" if iterations else "none"
        raise ValueError(f"cannot fork at iteration {at_iteration}: the run's iterations are {have}")
    cut = iterations[at_iteration]
    new_id = new_run_id or make_run_id()
    forked_from = {"run_id": start.run_id, "node_id": cut.node_id, "iteration": at_iteration}

    kept = []
    for seq, event in enumerate((e for e in events if e.seq < cut.seq and not e.ephemeral), start=1):
        clone = copy.deepcopy(event)
        clone.run_id, clone.seq = new_id, seq
        if clone.kind == "run_started" and clone.node_id == start.node_id:
            clone.forked_from = dict(forked_from)
        kept.append(clone)

    root_calls = {e.iteration: e for e in events
                  if e.kind == "model_call_started" and e.parent_id in {it.node_id for it in iterations.values()}}
    call_of_iteration = {it: root_calls.get(it) for it in iterations}
    responses = {e.node_id: e.response for e in events if e.kind == "model_call_finished"}
    outputs = {e.node_id: e for e in events if e.kind == "cell_finished"}

    cells_by_iteration: dict[int, list[dict[str, Any]]] = {}
    cell_ids: dict[str, dict[str, Any]] = {}
    iteration_of_node = {it.node_id: index for index, it in iterations.items()}
    for e in events:
        if e.kind == "cell_started" and e.parent_id in iteration_of_node and e.seq < cut.seq:
            done = outputs.get(e.node_id)
            cell = {"node_id": e.node_id, "iteration": iteration_of_node[e.parent_id], "index": e.index,
                    "code": e.code, "error": getattr(done, "error", None), "subcalls": []}
            cells_by_iteration.setdefault(cell["iteration"], []).append(cell)
            cell_ids[e.node_id] = cell
        elif e.kind == "subcall_started" and e.parent_id in cell_ids:
            cell_ids[e.parent_id]["subcalls"].append({"node_id": e.node_id, "prompt": e.prompt,
                                                      "response": None, "error": None})
    subcalls = {s["node_id"]: s for c in cell_ids.values() for s in c["subcalls"]}
    for e in events:
        if e.kind == "subcall_finished" and e.node_id in subcalls:
            subcalls[e.node_id]["response"] = e.response if not e.error else None
            subcalls[e.node_id]["error"] = e.error

    turns = []
    for index in range(1, at_iteration):
        if index not in iterations:
            continue
        call = call_of_iteration.get(index)
        response = responses.get(call.node_id, "") if call else ""
        following = call_of_iteration.get(index + 1)
        messages = following.messages if following else []
        if len(messages) >= 2 and messages[-2].get("role") == "assistant" and messages[-2].get("content") == response:
            turns.append({"iteration": index, "response": response, "feedback": messages[-1].get("content", ""),
                          "exact": True})
        else:
            turns.append({"iteration": index, "response": response, "exact": False,
                          "feedback": _rebuilt_feedback(cells_by_iteration.get(index, []), outputs)})

    numbers = [int(m.group(1)) for e in kept for m in [_NODE_NUMBER.match(e.node_id or "")] if m]
    at_call = call_of_iteration.get(at_iteration)
    return ForkPlan(
        source_run_id=start.run_id, new_run_id=new_id, at_iteration=at_iteration, forked_from=forked_from,
        events=kept, messages=copy.deepcopy(at_call.messages) if at_call else None, turns=turns,
        cells=[c for index in sorted(cells_by_iteration) for c in cells_by_iteration[index]],
        next_seq=len(kept) + 1, next_node_number=max(numbers, default=0) + 1)


def fork_prefix(events: Iterable[Event | dict[str, Any]], at_iteration: int, *,
                new_run_id: str | None = None) -> list[Event]:
    """The events a fork at root iteration `at_iteration` keeps (ForkPlan.events; see module doc)."""
    return fork_plan(events, at_iteration, new_run_id=new_run_id).events
