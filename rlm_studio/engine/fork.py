"""Fork a stored run at one of its root iterations: keep everything before it, continue anew.

The new run re-emits the kept iterations (with fresh node ids, so its tree shows them), rebuilds
the REPL's state by re-running the kept code cells with the recorded sub-call answers, and then
continues from the chosen iteration, possibly with other models, budgets, depth, or an edited
root response.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .events import (
    CellStarted,
    Event,
    FinalAnswer,
    IterationStarted,
    ModelCallFinished,
    ModelCallStarted,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from .history import Turn
from .recorded import recorded_context, root_run_started
from .settings import RunSettings


class ForkError(ValueError):
    """The run cannot be forked at that point; the message says why."""


@dataclass
class ForkPlan:
    parent_run_id: str
    at_iteration: int
    fork_node_id: str                 # the parent's iteration node the fork replaces
    question: str
    context: Any
    settings: RunSettings             # the parent's settings; override fields before running
    prefix_events: list[Event] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    replies: dict[str, deque[str]] = field(default_factory=dict)        # sub-call prompt -> recorded answers
    child_answers: dict[str, deque[str]] = field(default_factory=dict)  # rlm_query prompt -> recorded answers
    edited_response: str | None = None

    def forked_from(self) -> dict[str, Any]:
        return {"run_id": self.parent_run_id, "node_id": self.fork_node_id, "iteration": self.at_iteration}


def plan_fork(events: list[Event], at_iteration: int, *, edited_response: str | None = None) -> ForkPlan:
    try:
        root = root_run_started(events)
    except ValueError as exc:
        raise ForkError(str(exc)) from None
    iterations = [e for e in events if isinstance(e, IterationStarted) and e.parent_id == root.node_id]
    if not 1 <= at_iteration <= len(iterations):
        raise ForkError(f"iteration {at_iteration} does not exist: the run has {len(iterations)} root iterations")
    fork_node = iterations[at_iteration - 1].node_id
    kept_iterations = {e.node_id: e.index for e in iterations if e.index < at_iteration}

    # every node below a kept iteration, in stream order
    parent_of = {e.node_id: e.parent_id for e in events if e.opens is not None}
    def kept(node_id: str | None) -> bool:
        while node_id is not None:
            if node_id in kept_iterations:
                return True
            node_id = parent_of.get(node_id)
        return False

    prefix = [e for e in events if not e.ephemeral and e.node_id != root.node_id and kept(e.node_id)]

    calls = {e.parent_id: e for e in events if isinstance(e, ModelCallStarted)}
    answers = {e.node_id: e for e in events if isinstance(e, ModelCallFinished)}
    turns = []
    for it in iterations[:at_iteration - 1]:
        call = calls.get(it.node_id)
        if call is None or call.node_id not in answers or answers[call.node_id].error:
            raise ForkError(f"iteration {it.index} has no recorded root response to keep")
        turns.append(Turn(it.index, answers[call.node_id].response, ""))
    # the feedback of iteration k is the last message the root model got in iteration k + 1
    for n, turn in enumerate(turns):
        nxt = calls.get(iterations[n + 1].node_id)
        turn.feedback = nxt.messages[-1]["content"] if nxt and nxt.messages else ""

    root_cells = {e.node_id for e in events if isinstance(e, CellStarted) and e.parent_id in kept_iterations}
    cells = [e.code for e in events if isinstance(e, CellStarted) and e.node_id in root_cells]
    sub_started = {e.node_id: e for e in events if isinstance(e, SubcallStarted) and e.parent_id in root_cells}
    replies: dict[str, deque[str]] = {}
    for e in events:
        if isinstance(e, SubcallFinished) and e.node_id in sub_started and not e.error:
            replies.setdefault(sub_started[e.node_id].prompt, deque()).append(e.response)
    child_started = {e.node_id: e for e in events
                     if isinstance(e, RunStarted) and e.depth == 1 and e.parent_id in root_cells}
    child_answers: dict[str, deque[str]] = {}
    for e in events:
        if isinstance(e, RunFinished) and e.node_id in child_started and e.answer is not None:
            child_answers.setdefault(child_started[e.node_id].question, deque()).append(e.answer)

    return ForkPlan(parent_run_id=root.run_id, at_iteration=at_iteration, fork_node_id=fork_node,
                    question=root.question, context=recorded_context(events, root),
                    settings=RunSettings.from_dict(root.settings), prefix_events=prefix, turns=turns,
                    cells=cells, replies=replies, child_answers=child_answers, edited_response=edited_response)


def restamp(events: list[Event], old_root: str | None, new_root: str, new_id: Callable[[], str]) -> list[Event]:
    """Copies of `events` with fresh node ids (from `new_id()`), re-parented under `new_root`."""
    mapping: dict[str, str] = {}
    if old_root:
        mapping[old_root] = new_root
    out: list[Event] = []
    for e in events:
        if e.node_id not in mapping:
            mapping[e.node_id] = new_id()
        parent = mapping.get(e.parent_id, new_root) if e.parent_id else None
        copy = dataclasses.replace(e, node_id=mapping[e.node_id], parent_id=parent)
        if isinstance(copy, FinalAnswer) and copy.cell_id:
            copy.cell_id = mapping.get(copy.cell_id)
        out.append(copy)
    return out
