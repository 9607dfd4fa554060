"""Follow-up questions on a run's REPL: a conversation of runs, one per turn, linked to the turn before.

A new turn is a normal run. Before its first iteration the REPL is rebuilt: the code cells of all
earlier turns run again in order with their recorded sub-call answers (a cell whose result now
differs is noted), earlier questions, answers and root histories are set as `question_N`,
`answer_N`, `history_N`, and the root conversation starts with a short account of earlier turns.
A turn that failed or was cancelled counts with the state it reached: its cells up to the stop.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import events as ev
from .answer_protocols import setup_code
from .events import Event
from .recorded import recorded_context, root_run_started
from .settings import RunSettings
from .stored_context import StoredContext, same_context

#: a cell that crashed its worker or ran out of time is not run again (its state was lost, or it would hang)
_SKIPPED_STATES = ("crashed", "timed_out", "interrupted")


class FollowUpError(ValueError):
    """A conversation cannot be continued from these runs; the message says why."""


@dataclass
class RecordedCell:
    turn: int
    code: str
    stdout: str
    error_type: str | None


@dataclass
class TurnRecord:
    """One earlier turn, read from its run's events."""

    run_id: str
    turn: int
    question: str
    answer: str | None
    status: str
    history: list[dict[str, str]]
    cells: list[RecordedCell]
    skipped_cells: int
    reset: bool                       # a cell of this turn crashed its worker: earlier state was lost
    replies: dict[str, list[str]]
    child_answers: dict[str, list[str]]
    context: Any = None               # what `context` held in that turn (its cells are re-run against it)


def _root(events: list[Event]) -> ev.RunStarted:
    root = root_run_started(events)
    assert isinstance(root, ev.RunStarted)
    return root


def conversation_of(events: list[Event]) -> dict[str, Any] | None:
    """{"id", "turn", "previous_run_id"} recorded on a run that is a follow-up turn, else None."""
    root = _root(events)
    value = (root.settings.get("extra") or {}).get("conversation")
    return value if isinstance(value, dict) else None


def read_turn(events: list[Event], turn: int) -> TurnRecord:
    """What a follow-up needs of one earlier turn: its cells, their recorded sub-call answers, its Q and A."""
    root = _root(events)
    iterations = {e.node_id for e in events if e.kind == "iteration_started" and e.parent_id == root.node_id}
    finished = {e.node_id: e for e in events if isinstance(e, ev.CellFinished)}
    cells: list[RecordedCell] = []
    skipped, reset = 0, False
    root_cells = set()
    for e in events:
        if not isinstance(e, ev.CellStarted) or e.parent_id not in iterations:
            continue
        root_cells.add(e.node_id)
        done = finished.get(e.node_id)
        if done is not None and done.crashed:
            cells, skipped, reset = [], 0, True   # the worker died: everything before this cell was lost
            continue
        if done is None or any(getattr(done, name) for name in _SKIPPED_STATES):
            skipped += 1
            continue
        cells.append(RecordedCell(turn, e.code, done.stdout, (done.error or {}).get("type")))
    sub_started = {e.node_id: e for e in events if isinstance(e, ev.SubcallStarted) and e.parent_id in root_cells}
    replies: dict[str, list[str]] = {}
    for e in events:
        if isinstance(e, ev.SubcallFinished) and e.node_id in sub_started and not e.error:
            replies.setdefault(sub_started[e.node_id].prompt, []).append(e.response)
    child_started = {e.node_id: e for e in events
                     if isinstance(e, ev.RunStarted) and e.depth == 1 and e.parent_id in root_cells}
    child_answers: dict[str, list[str]] = {}
    for e in events:
        if isinstance(e, ev.RunFinished) and e.node_id in child_started and e.answer is not None:
            child_answers.setdefault(child_started[e.node_id].question, []).append(e.answer)
    finished_run = next((e for e in events if isinstance(e, ev.RunFinished) and e.node_id == root.node_id), None)
    return TurnRecord(run_id=root.run_id, turn=turn, question=root.question,
                      answer=finished_run.answer if finished_run else None,
                      status=finished_run.status if finished_run else "interrupted",
                      history=_root_history(events, root.node_id, iterations), cells=cells, skipped_cells=skipped,
                      reset=reset, replies=replies, child_answers=child_answers, context=recorded_context(events))


def _root_history(events: list[Event], run_node: str, iterations: set[str]) -> list[dict[str, str]]:
    """The root model's last prompt and its response: the turn's whole root conversation."""
    calls = [e for e in events if isinstance(e, ev.ModelCallStarted) and e.parent_id in iterations]
    if not calls:
        return []
    last = calls[-1]
    answer = next((e for e in events if isinstance(e, ev.ModelCallFinished) and e.node_id == last.node_id), None)
    history = [dict(m) for m in last.messages]
    if answer is not None and not answer.error:
        history.append({"role": "assistant", "content": answer.response})
    return history


@dataclass
class FollowUpPlan:
    """How to start the next turn of a conversation from its earlier turns (oldest first)."""

    conversation_id: str
    turns: list[TurnRecord]
    context: Any
    settings: RunSettings
    replies: dict[str, deque[str]] = field(default_factory=dict)
    child_answers: dict[str, deque[str]] = field(default_factory=dict)

    @property
    def turn(self) -> int:
        """The number of the turn this plan starts (1 is the first question)."""
        return len(self.turns) + 1

    @property
    def previous_run_id(self) -> str:
        return self.turns[-1].run_id

    def link(self) -> dict[str, Any]:
        return {"id": self.conversation_id, "turn": self.turn, "previous_run_id": self.previous_run_id}

    def cells(self) -> list[RecordedCell]:
        """Cells to run again: from the last turn whose worker crashed on, every turn's kept cells."""
        start = max((i for i, t in enumerate(self.turns) if t.reset), default=0)
        return [cell for t in self.turns[start:] for cell in t.cells]

    def variables(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t in self.turns:
            out[f"question_{t.turn}"] = t.question
            out[f"answer_{t.turn}"] = t.answer
            out[f"history_{t.turn}"] = t.history
        return out

    def account(self) -> str:
        """The short account of earlier turns that opens the new root conversation."""
        lines = [f"This is turn {self.turn} of a conversation about the same `context`. The REPL has been "
                 "restored as the earlier turns left it: their variables still exist, and each earlier "
                 "turn's question, answer and root conversation are in `question_N`, `answer_N` and "
                 "`history_N` (N = 1, 2, ...). Earlier turns:"]
        for t in self.turns:
            answer = " ".join((t.answer or "").split())
            answer = answer if len(answer) <= 300 else answer[:299] + "…"
            ended = f"answer: {answer}" if t.answer is not None else f"no answer ({t.status})"
            question = " ".join(t.question.split())[:300]
            lines.append(f"- turn {t.turn}: {question} -> {ended}")
        return "\n".join(lines)


def plan_follow_up(turn_events: list[list[Event]], settings: RunSettings | None = None,
                   context: Any = None) -> FollowUpPlan:
    """A plan for the turn after `turn_events` (each earlier turn's run events, oldest first).

    `context` (default: the last turn's) is what `context` holds in the new turn; `settings`
    default to the last turn's."""
    if not turn_events:
        raise FollowUpError("a follow-up needs at least one earlier run")
    turns = [read_turn(events, number) for number, events in enumerate(turn_events, start=1)]
    first = conversation_of(turn_events[0])
    conversation_id = str(first["id"]) if first else turns[0].run_id
    last_root = _root(turn_events[-1])
    plan = FollowUpPlan(conversation_id=conversation_id, turns=turns,
                        context=context if context is not None else recorded_context(turn_events[-1]),
                        settings=settings or RunSettings.from_dict(last_root.settings))
    for t in turns:
        for prompt, answers in t.replies.items():
            plan.replies.setdefault(prompt, deque()).extend(answers)
        for prompt, answers in t.child_answers.items():
            plan.child_answers.setdefault(prompt, deque()).extend(answers)
    return plan


def with_more_documents(context: Any, more: Any) -> Any:
    """The previous turn's context with more documents added: a dict of name -> text (names kept unique)."""
    if more is None:
        return context
    if isinstance(context, StoredContext) or hasattr(context, "parts"):
        raise FollowUpError("documents cannot be added to a conversation about a document kept in a file (a "
                            "large one) yet; ask without adding files")
    def parts(value: Any, default: str) -> list[tuple[str, str]]:
        if isinstance(value, dict):
            return list(value.items())
        if isinstance(value, list):
            return [(f"{default} {i}", text) for i, text in enumerate(value)]
        return [(default, value)]
    merged: dict[str, str] = {}
    for name, text in parts(context, "context") + parts(more, "added"):
        unique, n = name, 2
        while unique in merged:
            unique, n = f"{name} ({n})", n + 1
        merged[unique] = text
    return merged


async def rebuild_repl(plan: FollowUpPlan, rlm: Any) -> None:
    """Run the earlier turns' cells in `rlm`'s fresh worker with recorded sub-call answers, set the
    turn variables, and say what was rebuilt (and which cells now give a different result)."""
    cells = plan.cells()
    differing = []
    contexts = {t.turn: t.context for t in plan.turns}
    current = plan.context          # the worker started with the new turn's context
    rlm.replaying = True
    try:
        for cell in cells:
            then = contexts.get(cell.turn)
            if then is not None and not same_context(then, current):
                if isinstance(then, StoredContext):
                    raise FollowUpError("an earlier turn's context was a file-backed document other than this "
                                        "turn's; its REPL cannot be rebuilt")
                await rlm.worker.set_variable("context", then)   # documents were added after that turn
                current = then
            result = await rlm.worker.execute(cell.code, timeout_s=rlm.settings.cell_timeout_s)
            rlm.last_variables = result.variables
            error_type = (result.error or {}).get("type")
            if result.stdout != cell.stdout or error_type != cell.error_type:
                differing.append((cell, result.stdout, error_type))
    finally:
        rlm.replaying = False
    if not same_context(current, plan.context):
        await rlm.worker.set_variable("context", plan.context)
    if rlm.settings.answer_protocol == "answer-dict":   # the earlier turn's answer["ready"] must not end this one
        await rlm.worker.execute(setup_code("answer-dict"), timeout_s=rlm.settings.cell_timeout_s)
    for name, value in plan.variables().items():
        await rlm.worker.set_variable(name, value)
    skipped = sum(t.skipped_cells for t in plan.turns)
    note = (f"Turn {plan.turn} of conversation {plan.conversation_id}: the REPL was rebuilt by running "
            f"{len(cells)} code cell(s) of {len(plan.turns)} earlier turn(s) again with their recorded sub-call "
            "answers" + (f"; {skipped} cell(s) that timed out or were interrupted were not run again" if skipped
                         else "") + ".")
    rlm.emit(ev.Notice(node_id=rlm.node_id, parent_id=rlm.parent_node, level="info", code="repl_rebuilt",
                       message=note))
    for cell, stdout, error_type in differing:
        was = cell.error_type or " ".join(cell.stdout.split())[:80] or "(no output)"
        now = error_type or " ".join(stdout.split())[:80] or "(no output)"
        first_line = next((line for line in cell.code.splitlines() if line.strip()), "")[:80]
        rlm.emit(ev.Notice(node_id=rlm.node_id, parent_id=rlm.parent_node, level="warning",
                           code="rebuild_differs",
                           message=f"Rebuilding the REPL, a cell of turn {cell.turn} (`{first_line}`) gave a "
                                   f"different result than when it first ran: was {was!r}, now {now!r}."))


def follow_up_session(plan: FollowUpPlan, question: str, settings: RunSettings | None = None,
                      **session_options: Any) -> Any:
    """The RlmSession of the next turn: `settings` (default: the last turn's) with the conversation
    link recorded in `settings.extra["conversation"]`."""
    from .session import RlmSession

    chosen = RunSettings.from_dict((settings or plan.settings).to_dict())
    chosen.extra = {**chosen.extra, "conversation": plan.link()}
    session = RlmSession(question, plan.context, chosen, **session_options)
    session.follow_up = plan
    return session
