"""The one fold from events to tree nodes with their own figures; dispatch is on the event class.

Shared by every surface: storage derives the `nodes` table with it, the run tree (live or stored) adds
children and totals on top, the engine counts its results from that tree. Pure: no I/O, no Qt.

Tree shape:
  run (depth 0, parent None)
    iteration
      model_call            the root model's call of this iteration
      cell                  one ```repl block
        subcall             llm_query / one item of llm_query_batched
        run (depth + 1)     a child RLM started by rlm_query
    final_answer
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from ..events import (
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
from ..events.payloads import NodeStatus, Usage
from .node import NodeRecord

Nodes = dict[str, NodeRecord]


def first_line(text: str | None, limit: int = 120) -> str:
    """The first line of `text` that is not blank, stripped, cut to `limit` characters."""
    if not text:
        return ""
    if text.isascii() and text.isprintable():   # one line (no control characters): the usual short prompt
        line = text.strip()
        return line if len(line) <= limit else line[: limit - 1] + "…"
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def _close(node: NodeRecord, event: Event, status: NodeStatus) -> None:
    node.status = status
    node.ended_ts = event.ts
    node.end_seq = event.seq
    node.duration_ms = max(0.0, (event.ts - node.started_ts) * 1000.0)


def _opened(nodes: Nodes, event: Event, label: str = "", summary: str = "", model: str = "") -> NodeRecord:
    """A new node under the event's parent, with the parent's depth and iteration."""
    assert event.opens is not None
    parent = nodes.get(event.parent_id or "")
    if parent is None:
        return NodeRecord.opened(event.node_id, event.parent_id, event.opens, 0, event.seq, event.ts, None,
                                 label, summary, model)
    return NodeRecord.opened(event.node_id, event.parent_id, event.opens, parent.depth, event.seq, event.ts,
                             parent.iteration, label, summary, model)


def _run_started(nodes: Nodes, e: RunStarted) -> NodeRecord:
    node = _opened(nodes, e)
    node.depth = e.depth
    node.label = "Run" if e.depth == 0 else f"Child run (depth {e.depth})"
    node.summary, node.model = first_line(e.question), e.root_model
    node.extra = {"question": e.question, "isolation": e.isolation}
    return node


def _iteration_started(nodes: Nodes, e: IterationStarted) -> NodeRecord:
    node = _opened(nodes, e)
    node.iteration, node.label = e.index, f"Iteration {e.index}"
    return node


def _model_call_started(nodes: Nodes, e: ModelCallStarted) -> NodeRecord:
    node = _opened(nodes, e)
    node.label, node.model = "Root model call", e.model
    node.summary = f"{len(e.messages)} messages, ~{e.prompt_tokens} tokens"
    return node


def _cell_started(nodes: Nodes, e: CellStarted) -> NodeRecord:
    node = _opened(nodes, e)
    node.label, node.summary = f"Code cell {e.index}", first_line(e.code)
    return node


def _subcall_started(nodes: Nodes, e: SubcallStarted) -> NodeRecord:
    return _opened(nodes, e, e.via if e.batch_index is None else f"{e.via}[{e.batch_index}]", first_line(e.prompt),
                   e.model)


def _final_answer(nodes: Nodes, e: FinalAnswer) -> NodeRecord:
    node = _opened(nodes, e)
    node.iteration = None
    node.label, node.summary = f"Final answer ({e.via})", first_line(e.answer)
    _close(node, e, "ok")
    node.duration_ms = 0.0
    return node


def _count(value: object) -> int:
    """A token count from a usage dict, as `Usage.from_dict` reads it (an int is taken as it is)."""
    if type(value) is int:
        return value
    return Usage.from_dict({"input_tokens": value}).input_tokens


def _call_finished(node: NodeRecord, e: ModelCallFinished | SubcallFinished) -> None:
    # the usage dict read in place (what Usage.from_dict gives, without making one per call)
    usage = e.usage or {}
    get = usage.get
    inp, out, cached, reasoning = get("input_tokens"), get("output_tokens"), get("cached_tokens"), get("reasoning_tokens")
    node.input_tokens = inp if type(inp) is int else _count(inp)   # the usual int without a call
    node.output_tokens = out if type(out) is int else _count(out)
    node.cached_tokens = cached if type(cached) is int else _count(cached)
    node.reasoning_tokens = reasoning if type(reasoning) is int else _count(reasoning)
    node.tokens_estimated, node.cost_usd = bool(usage.get("estimated")), e.cost_usd
    if e.model:
        node.model = e.model
    error = e.error_info if e.error else None
    if error is not None:
        node.error = error.line()
    # a call the user stopped did not fail: it is 'cancelled' (not an error in the counts, the charts or the tree)
    _close(node, e, "ok" if error is None else "cancelled" if error.kind == "cancelled" else "error")
    node.duration_ms = e.latency_ms or node.duration_ms
    if error is None and isinstance(e, SubcallFinished):
        node.extra["response_preview"] = first_line(e.response)


def _cell_finished(node: NodeRecord, e: CellFinished) -> None:
    error = e.error_info
    status: NodeStatus = ("crashed" if e.crashed else "timeout" if e.timed_out else
              "interrupted" if e.interrupted else "error" if error else "ok")
    if error is not None:
        node.error = error.line()
    elif e.crashed:
        node.error = e.crashed
    _close(node, e, status)
    node.duration_ms = e.duration_ms or node.duration_ms


def _iteration_finished(node: NodeRecord, e: IterationFinished) -> None:
    _close(node, e, "ok")


def _run_finished(node: NodeRecord, e: RunFinished) -> None:
    error = e.error_info
    if error is not None:
        node.error = error.line()
    elif e.limit:
        node.error = f"limit reached: {e.limit}"
    node.extra["answer"] = e.answer
    _close(node, e, e.status)


Opener = Callable[[Nodes, Event], NodeRecord]
Closer = Callable[[NodeRecord, Event], None]
_E = TypeVar("_E", bound=Event)


def _opener(cls: type[_E], handler: Callable[[Nodes, _E], NodeRecord]) -> tuple[type[Event], Opener]:
    """A table entry whose handler mypy checks against its event class (a dict's value type cannot depend on
    its key; apply_event calls each handler only with its own class)."""
    return cls, cast(Opener, handler)


def _closer(cls: type[_E], handler: Callable[[NodeRecord, _E], None]) -> tuple[type[Event], Closer]:
    """As _opener, for the events that close a node."""
    return cls, cast(Closer, handler)


_OPEN: dict[type[Event], Opener] = dict([
    _opener(RunStarted, _run_started),
    _opener(IterationStarted, _iteration_started),
    _opener(ModelCallStarted, _model_call_started),
    _opener(CellStarted, _cell_started),
    _opener(SubcallStarted, _subcall_started),
    _opener(FinalAnswer, _final_answer),
])
_CLOSE: dict[type[Event], Closer] = dict([
    _closer(ModelCallFinished, _call_finished),
    _closer(SubcallFinished, _call_finished),
    _closer(CellFinished, _cell_finished),
    _closer(IterationFinished, _iteration_finished),
    _closer(RunFinished, _run_finished),
])
assert {cls for cls in _OPEN} == {cls for cls in _OPEN if cls.opens}, "an opener without `opens`"
assert all(cls.closes for cls in _CLOSE), "a closer without `closes`"


def apply_event(nodes: Nodes, event: Event) -> NodeRecord | None:
    """Apply one event to `nodes` (id -> record); return the node it opened or changed, if any."""
    opener = _OPEN.get(type(event))
    if opener is not None:
        node = opener(nodes, event)
        nodes[node.id] = node
        return node
    closer = _CLOSE.get(type(event))
    if closer is None:
        return None
    found = nodes.get(event.node_id)
    if found is None:
        return None
    closer(found, event)
    return found


def fold_event(nodes: Nodes, event: Event) -> NodeRecord | None:
    """`apply_event` with the run tree's rules: a node opens once (a duplicated opening event is ignored, as is
    one without a node id), and a closed node's record never changes (copies of a tree share it). Written out
    (one lookup per table and of the node): it runs for every event a writer stores."""
    cls = type(event)
    opener = _OPEN.get(cls)
    if opener is not None:
        if not event.node_id or event.node_id in nodes:
            return None
        node = opener(nodes, event)
        nodes[node.id] = node
        return node
    closer = _CLOSE.get(cls)
    if closer is None or event.opens is not None:
        return None
    found = nodes.get(event.node_id)
    if found is None or found.end_seq is not None:
        return None
    closer(found, event)
    return found


def fold_nodes(events: Iterable[Event]) -> Nodes:
    """Every node of a whole stream at once."""
    nodes: Nodes = {}
    for event in events:
        apply_event(nodes, event)
    return nodes
