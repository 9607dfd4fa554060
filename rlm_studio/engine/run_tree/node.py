"""One node of a run tree with its own figures (the `nodes` table stores exactly these fields)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..events.payloads import NodeKind, NodeStatus


@dataclass(slots=True)
class NodeRecord:
    id: str
    parent_id: str | None
    kind: NodeKind
    depth: int = 0                 # recursion depth of the RLM this node belongs to
    order: int = 0                 # seq of the event that opened it: sibling order
    label: str = ""
    summary: str = ""              # one line: first line of code, prompt or answer
    model: str = ""
    status: NodeStatus = "running"
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

    @classmethod
    def opened(cls, node_id: str, parent_id: str | None, kind: NodeKind, depth: int, seq: int, ts: float,
               iteration: int | None, label: str = "", summary: str = "", model: str = "") -> NodeRecord:
        """A node as the event numbered `seq` at `ts` opens it. The fold makes one for every such event, so
        every field is given by position (a keyword call takes twice as long; `_FIELD_ORDER` guards it)."""
        return cls(node_id, parent_id, kind, depth, seq, label, summary, model, "running", None, iteration, ts,
                   None, None, 0, 0, 0, 0, False, 0.0, seq, None, {})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NodeRecord:
        """A node as `Store.load_nodes` returns it (extra columns such as run_id are ignored)."""
        try:
            return cls(*[row[k] for k in _NAMES])    # positional: this runs for every stored node
        except KeyError:
            return cls(**{k: row[k] for k in _NAMES if k in row})


_NAMES = tuple(f.name for f in fields(NodeRecord))
_FIELD_ORDER = ("id", "parent_id", "kind", "depth", "order", "label", "summary", "model", "status", "error", "iteration",
                "started_ts", "ended_ts", "duration_ms", "input_tokens", "output_tokens", "cached_tokens",
                "reasoning_tokens", "tokens_estimated", "cost_usd", "start_seq", "end_seq", "extra")
assert _NAMES == _FIELD_ORDER, "NodeRecord.opened gives its fields by position: update it with the fields"
