"""One ```repl block executed in the run's sandboxed REPL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Event
from .payloads import ErrorInfo, FinalInfo, Variable


@dataclass(kw_only=True)
class CellStarted(Event):
    kind = "cell_started"
    opens = "cell"
    iteration: int = 0
    index: int = 0   # position of the block within its iteration's response, 1-based
    code: str = ""


@dataclass(kw_only=True)
class CellFinished(Event):
    kind = "cell_finished"
    closes = True
    stdout: str = ""
    stderr: str = ""
    stdout_chars: int = 0          # total produced (the captured text may be capped)
    stderr_chars: int = 0
    feedback_cut_chars: int = 0    # how much the model did not see of this cell's output
    error: dict[str, Any] | None = None  # {"type", "message", "traceback"}
    duration_ms: float = 0.0
    variables: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] | None = None  # {"value", "source", "var"} when FINAL/FINAL_VAR was called
    timed_out: bool = False
    interrupted: bool = False
    crashed: str | None = None     # the worker died; it was restarted and lost its variables
    restored: list[str] = field(default_factory=list)

    @property
    def error_info(self) -> ErrorInfo | None:
        return ErrorInfo.from_dict(self.error)

    @property
    def final_info(self) -> FinalInfo | None:
        return FinalInfo.from_dict(self.final)

    @property
    def variable_infos(self) -> list[Variable]:
        return [Variable.from_dict(v) for v in self.variables if isinstance(v, dict)]
