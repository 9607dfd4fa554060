"""The fold from events to tree nodes with their own figures.

Shared by storage (the `nodes` table is derived from events with it) and analysis (the run tree
adds children and subtree totals on top). Pure: no I/O, no Qt.

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

from dataclasses import asdict, dataclass, field
from typing import Any

from .base import Event

NODE_STATUSES = ("running", "ok", "error", "timeout", "interrupted", "crashed",
                 "completed", "limit_hit", "failed", "cancelled")


@dataclass
class NodeRecord:
    id: str
    parent_id: str | None
    kind: str                      # run | iteration | model_call | cell | subcall | final_answer
    depth: int = 0                 # recursion depth of the RLM this node belongs to
    order: int = 0                 # seq of the event that opened it: sibling order
    label: str = ""
    summary: str = ""              # one line: first line of code, prompt or answer
    model: str = ""
    status: str = "running"
    error: str | None = None
    iteration: int | None = None
    started_ts: float = 0.0
    ended_ts: float | None = None
    duration_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float | None = 0.0   # own cost; None when a price is unknown
    start_seq: int = 0
    end_seq: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first_line(text: str | None, limit: int = 120) -> str:
    if not text:
        return ""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def _close(node: NodeRecord, event: Event, status: str) -> None:
    node.status = status
    node.ended_ts = event.ts
    node.end_seq = event.seq
    node.duration_ms = max(0.0, (event.ts - node.started_ts) * 1000.0)


def _usage(node: NodeRecord, usage: dict[str, Any] | None, cost: float | None) -> None:
    usage = usage or {}
    node.input_tokens = int(usage.get("input_tokens") or 0)
    node.output_tokens = int(usage.get("output_tokens") or 0)
    node.cached_tokens = int(usage.get("cached_tokens") or 0)
    node.reasoning_tokens = int(usage.get("reasoning_tokens") or 0)
    node.tokens_estimated = bool(usage.get("estimated"))
    node.cost_usd = cost


def apply_event(nodes: dict[str, NodeRecord], event: Event) -> NodeRecord | None:
    """Apply one event to `nodes` (id -> record); return the node it opened or changed, if any."""
    kind = event.kind
    d = event  # typed access below; attribute names follow the event classes
    if kind == "run_started":
        parent = nodes.get(event.parent_id) if event.parent_id else None
        node = NodeRecord(id=event.node_id, parent_id=event.parent_id, kind="run", depth=d.depth,
                          order=event.seq, label="Run" if d.depth == 0 else f"Child run (depth {d.depth})",
                          summary=_first_line(d.question), model=d.root_model, started_ts=event.ts,
                          start_seq=event.seq, iteration=parent.iteration if parent else None)
        node.extra = {"question": d.question, "isolation": d.isolation}
        nodes[node.id] = node
        return node
    if kind == "final_answer":
        run = nodes.get(event.parent_id or "")
        node = NodeRecord(id=event.node_id, parent_id=event.parent_id, kind="final_answer",
                          depth=run.depth if run else 0, order=event.seq, label=f"Final answer ({d.via})",
                          summary=_first_line(d.answer), status="ok", started_ts=event.ts, ended_ts=event.ts,
                          duration_ms=0.0, start_seq=event.seq, end_seq=event.seq)
        nodes[node.id] = node
        return node
    opened = {"iteration_started": "iteration", "model_call_started": "model_call",
              "cell_started": "cell", "subcall_started": "subcall"}.get(kind)
    if opened:
        parent = nodes.get(event.parent_id or "")
        node = NodeRecord(id=event.node_id, parent_id=event.parent_id, kind=opened,
                          depth=parent.depth if parent else 0, order=event.seq, started_ts=event.ts,
                          start_seq=event.seq, iteration=parent.iteration if parent else None)
        if opened == "iteration":
            node.iteration = d.index
            node.label = f"Iteration {d.index}"
        elif opened == "model_call":
            node.label, node.model = "Root model call", d.model
            node.summary = f"{len(d.messages)} messages, ~{d.prompt_tokens} tokens"
        elif opened == "cell":
            node.label, node.summary = f"Code cell {d.index}", _first_line(d.code)
        else:
            node.model = d.model
            node.label = d.via if d.batch_index is None else f"{d.via}[{d.batch_index}]"
            node.summary = _first_line(d.prompt)
        nodes[node.id] = node
        return node
    node = nodes.get(event.node_id)
    if node is None:
        return None
    if kind in ("model_call_finished", "subcall_finished"):
        _usage(node, d.usage, d.cost_usd)
        if d.model:
            node.model = d.model
        if d.error:
            node.error = f"{d.error.get('kind', 'error')}: {d.error.get('message', '')}"
        _close(node, event, "error" if d.error else "ok")
        node.duration_ms = d.latency_ms or node.duration_ms
        if kind == "subcall_finished" and not d.error:
            node.extra["response_preview"] = _first_line(d.response)
        return node
    if kind == "cell_finished":
        status = ("crashed" if d.crashed else "timeout" if d.timed_out else
                  "interrupted" if d.interrupted else "error" if d.error else "ok")
        if d.error:
            node.error = f"{d.error.get('type', 'Error')}: {d.error.get('message', '')}"
        elif d.crashed:
            node.error = d.crashed
        _close(node, event, status)
        node.duration_ms = d.duration_ms or node.duration_ms
        return node
    if kind == "iteration_finished":
        _close(node, event, "ok")
        return node
    if kind == "run_finished":
        if d.error:
            node.error = f"{d.error.get('kind', 'error')}: {d.error.get('message', '')}"
        elif d.limit:
            node.error = f"limit reached: {d.limit}"
        node.extra["answer"] = d.answer
        node.extra["totals"] = d.totals
        _close(node, event, d.status)
        return node
    return None


def fold_nodes(events) -> dict[str, NodeRecord]:
    nodes: dict[str, NodeRecord] = {}
    for event in events:
        apply_event(nodes, event)
    return nodes
