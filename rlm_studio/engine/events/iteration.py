"""One turn of the root loop: a model call, then every repl block of its response."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Event


@dataclass(kw_only=True)
class IterationStarted(Event):
    kind = "iteration_started"
    opens = "iteration"
    index: int = 0  # 1-based


@dataclass(kw_only=True)
class IterationFinished(Event):
    kind = "iteration_finished"
    closes = True
    index: int = 0
    code_blocks: int = 0
    duration_ms: float = 0.0
    ended_run: bool = False  # a FINAL/FINAL_VAR ended the run in this iteration
