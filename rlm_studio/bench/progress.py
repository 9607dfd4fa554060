"""A bench's progress as plain state (no Qt): counts, running cost, mean score, ETA; listeners are told of changes.

BenchRunner calls the task_* methods, so listeners run on the event loop's thread (the app's, under qasync).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .spec import TaskResult, TaskSpec

Listener = Callable[["BenchProgress"], None]


@dataclass
class BenchProgress:
    total: int                                  # rows of the bench, done before this session included
    done: int = 0                               # scored (this session and before)
    failed: int = 0                             # harness failures this session (run again by resume)
    cost_usd: float = 0.0
    cost_unknown: bool = False
    score_sum: float = 0.0
    scored: int = 0
    running: dict[tuple[str, str, str], float] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)
    finished_this_session: int = 0
    listeners: list[Listener] = field(default_factory=list)
    last: TaskResult | None = None
    stopped: bool = False
    stop_reason: str | None = None              # why the runner stopped on its own (an unreachable model)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    def task_started(self, spec: TaskSpec) -> None:
        with self._lock:
            self.running[spec.key] = time.monotonic()
        self._changed()

    def task_stopped_running(self, key: tuple[str, str, str]) -> None:
        """The task's run is over (its result is being stored)."""
        with self._lock:
            self.running.pop(key, None)
        self._changed()

    def task_finished(self, result: TaskResult) -> None:
        with self._lock:
            self.running.pop(result.key, None)
            self.finished_this_session += 1
            self.last = result
            if result.status == "done":
                self.done += 1
                if result.score is not None:
                    self.score_sum += result.score
                    self.scored += 1
            else:
                self.failed += 1
            if result.cost_unknown or result.cost_usd is None:
                self.cost_unknown = True
            else:
                self.cost_usd += result.cost_usd
        self._changed()

    def add_previous(self, done: int, cost_usd: float, cost_unknown: bool, score_sum: float, scored: int) -> None:
        """Rows a resumed bench had finished before."""
        self.done += done
        self.cost_usd += cost_usd
        self.cost_unknown = self.cost_unknown or cost_unknown
        self.score_sum += score_sum
        self.scored += scored

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started_at

    def eta_s(self) -> float | None:
        """Seconds left at this session's pace; None before the first task finished."""
        if not self.finished_this_session:
            return None
        remaining = max(0, self.total - self.finished)
        return self.elapsed_s() / self.finished_this_session * remaining

    def snapshot(self) -> dict[str, Any]:
        return {"total": self.total, "done": self.done, "failed": self.failed, "running": len(self.running),
                "cost_usd": self.cost_usd, "cost_unknown": self.cost_unknown, "mean_score": self.mean_score,
                "elapsed_s": self.elapsed_s(), "eta_s": self.eta_s(), "stopped": self.stopped,
                "stop_reason": self.stop_reason}
