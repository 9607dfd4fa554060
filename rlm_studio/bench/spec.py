"""What an executor runs (a TaskSpec: one task x method x configuration) and what it reports (a TaskResult).

Both are plain, picklable data, so a remote executor (Ray) can ship them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .task import Task


@dataclass
class TaskSpec:
    bench_id: str
    task: Task
    method: str
    config: str                      # "" or the sweep point, e.g. "max_depth=2,batch_concurrency=8"
    settings: dict[str, Any]         # RunSettings.to_dict()
    run_id: str
    model_settings: dict[str, Any] = field(default_factory=dict)   # ModelSettings fields (api_bases, ...)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task.id, self.method, self.config)


@dataclass
class TaskResult:
    task_id: str
    method: str
    config: str
    run_id: str
    status: str                      # "done" (scored) | "failed" (the harness could not run it)
    score: float | None
    answer: str | None
    run_status: str = ""             # the run's own status: completed, limit_hit, failed, cancelled
    cost_usd: float | None = 0.0
    cost_unknown: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    duration_ms: float = 0.0
    model_ms: float = 0.0            # time inside model calls (the rest is the harness's)
    error: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task_id, self.method, self.config)

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("findings")
        return data
