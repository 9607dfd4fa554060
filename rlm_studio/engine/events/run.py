"""A run (the root, or a child RLM started by `rlm_query`) begins and ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from .base import Event
from .payloads import ErrorInfo, RunStatus

RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
LIMIT_NAMES = ("max_iterations", "max_depth", "max_subcalls", "max_cost_usd", "max_tokens", "max_wall_s")


@dataclass(kw_only=True)
class RunStarted(Event):
    kind = "run_started"
    opens = "run"
    question: str = ""
    depth: int = 0                       # 0 for the root run, +1 for each rlm_query level
    root_model: str = ""
    sub_model: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    system_prompt: str = ""
    context_kind: str = "str"            # "str" | "list" | "dict": the shape of `context` in the REPL
    context_meta: dict[str, Any] = field(default_factory=dict)  # what the root model was told about it
    documents: list[dict[str, Any]] = field(default_factory=list)  # [{index, name, chars, sha256}]
    isolation: str = ""                  # "bwrap" | "process"
    warnings: list[str] = field(default_factory=list)
    forked_from: dict[str, Any] | None = None  # {"run_id", "node_id", "iteration"} for a fork
    app_version: str = ""


@dataclass(kw_only=True)
class ContextAttached(Event):
    """One part of the run's context, with its full text (storage keeps it once by hash)."""

    kind = "context_attached"
    index: int = 0
    name: str = ""
    text: str = ""
    chars: int = 0
    sha256: str = ""


@dataclass(kw_only=True)
class RunFinished(Event):
    kind = "run_finished"
    closes = True
    status: RunStatus = "completed"
    answer: str | None = None            # the final answer (FINAL / FINAL_VAR); None when the run gave none
    best_candidate: dict[str, Any] | None = None  # without an answer: {"text", "source"} of the closest thing to one
    limit: str | None = None             # which limit stopped it, when status == "limit_hit"
    error: dict[str, Any] | None = None  # {"kind", "message"} when status == "failed"
    totals: dict[str, Any] = field(default_factory=dict)  # this run's subtree, children included

    @property
    def error_info(self) -> ErrorInfo | None:
        return ErrorInfo.from_dict(self.error)
