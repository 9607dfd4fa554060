"""Typed views of the small JSON objects events carry (usage, error, final, variables), and the word lists.

Events keep these as plain dicts on the wire and in the database (stored runs stay readable); code that
reads them goes through these classes, so a field name is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

RunStatus = Literal["running", "completed", "limit_hit", "failed", "cancelled", "interrupted"]
NodeKind = Literal["run", "iteration", "model_call", "cell", "subcall", "final_answer"]
NodeStatus = Literal["running", "ok", "error", "timeout", "interrupted", "crashed", "completed", "limit_hit",
                     "failed", "cancelled"]
FinalVia = Literal["FINAL", "FINAL_VAR", "SUBMIT", "answer"]  # answer: answer["ready"] = True (engine.answer_protocols)
FinalSource = Literal["code", "text"]
SubcallVia = Literal["llm_query", "llm_query_batched", "rlm_query"]
NoticeLevel = Literal["info", "warning", "error"]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class Usage:
    """Tokens of one model call (`models.types.Usage.to_dict()` on the wire)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage:
        data = data or {}
        return cls(_int(data.get("input_tokens")), _int(data.get("output_tokens")), _int(data.get("cached_tokens")),
                   _int(data.get("reasoning_tokens")), bool(data.get("estimated")))


@dataclass(frozen=True)
class ErrorInfo:
    """What went wrong: a model error (`kind`), a cell's exception (`type`), or a run's failure (`kind`)."""

    kind: str = "error"
    message: str = ""
    traceback: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ErrorInfo | None:
        if not data:
            return None
        kind = data.get("kind") or data.get("type") or "error"
        return cls(str(kind), str(data.get("message") or ""), str(data.get("traceback") or ""))

    def line(self) -> str:
        """One line: `kind: message`."""
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class FinalInfo:
    """FINAL/FINAL_VAR called in a cell: the value, how (`source`: FINAL or FINAL_VAR) and the variable."""

    value: str
    source: str = "FINAL"
    var: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FinalInfo | None:
        if not data:
            return None
        return cls(str(data.get("value") or ""), str(data.get("source") or "FINAL"), data.get("var"))


@dataclass(frozen=True)
class Variable:
    """One REPL variable after a cell: name, type, size and a short summary."""

    name: str
    type: str = ""
    size: int = 0
    summary: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Variable:
        return cls(str(data.get("name") or ""), str(data.get("type") or ""), _int(data.get("size")),
                   str(data.get("summary") or ""))
