"""Things a user should know about a run that are not calls: compactions, warnings, restarts."""

from __future__ import annotations

from dataclasses import dataclass, field

from .base import Event
from .payloads import NoticeLevel


@dataclass(kw_only=True)
class HistoryCompacted(Event):
    """Older iterations were folded into a summary so the root prompt fits the model's window."""

    kind = "history_compacted"
    iterations: list[int] = field(default_factory=list)
    tokens_before: int = 0
    tokens_after: int = 0
    summary: str = ""


@dataclass(kw_only=True)
class Notice(Event):
    kind = "notice"
    level: NoticeLevel = "warning"
    code: str = ""                # machine-readable, e.g. "sandbox_fallback", "final_var_undefined", "worker_restarted"
    message: str = ""
