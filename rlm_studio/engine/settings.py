"""What a user sets for a run, and what a run returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunSettings:
    root_model: str = "bundled"
    sub_model: str | None = None           # None: the root model answers sub-calls too
    max_depth: int = 1                     # as in the paper: rlm_query at the limit is a plain llm_query
    max_iterations: int = 20
    max_subcalls: int | None = None        # across the whole tree, children included
    max_cost_usd: float | None = None
    max_tokens: int | None = None          # input + output, whole tree
    max_wall_s: float | None = None
    cell_timeout_s: float = 120.0
    output_limit_chars: int = 20_000       # REPL output fed back to the root model per block
    batch_concurrency: int = 16
    system_prompt: str | None = None       # None: DEFAULT_SYSTEM_PROMPT
    isolation: str = "auto"                # "auto" | "bwrap" | "process"
    sandbox_memory_mb: int = 4096
    compaction_threshold: float = 0.75     # compact the root history above this share of the window
    model_call_timeout_s: float | None = None
    answer_protocol: str = "final"         # "final" (FINAL/FINAL_VAR) | "answer-dict" | "submit": how a run ends
    tools: list[dict[str, Any]] = field(default_factory=list)  # user tool files (engine.tools.load_tools)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSettings:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def validate(self) -> None:
        """Raise ValueError with a user-facing message for settings that cannot run."""
        if self.max_depth < 0:
            raise ValueError("max depth must be 0 or more")
        if self.max_iterations < 1:
            raise ValueError("max iterations must be at least 1")
        if self.cell_timeout_s <= 0:
            raise ValueError("the cell time limit must be positive")
        if self.output_limit_chars < 100:
            raise ValueError("the output limit must be at least 100 characters")
        if self.batch_concurrency < 1:
            raise ValueError("batch concurrency must be at least 1")
        for name in ("max_subcalls", "max_cost_usd", "max_tokens", "max_wall_s"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name.replace('_', ' ')} must not be negative")
        if self.answer_protocol not in ("final", "answer-dict", "submit"):
            raise ValueError(f"unknown answer protocol {self.answer_protocol!r} (final, answer-dict or submit)")
        if self.isolation not in ("auto", "bwrap", "process"):
            raise ValueError(f"unknown isolation {self.isolation!r} (auto, bwrap or process)")


@dataclass
class RunResult:
    run_id: str
    status: str                    # completed | limit_hit | failed | cancelled
    answer: str | None             # None: the run ended without FINAL (see best_candidate)
    limit: str | None = None
    error: dict[str, Any] | None = None
    totals: dict[str, Any] = field(default_factory=dict)  # run_tree.Totals.result_dict(duration_ms)
    isolation: str = ""
    warnings: list[str] = field(default_factory=list)
    #: when `answer` is None: {"text", "source"} of the closest thing to an answer (a variable, the last response)
    best_candidate: dict[str, str] | None = None

    def summary(self) -> dict[str, Any]:
        """The object `rlm-studio run --json` prints."""
        t = self.totals
        return {
            "run_id": self.run_id, "status": self.status, "answer": self.answer,
            "best_candidate": self.best_candidate, "limit": self.limit,
            "error": self.error, "iterations": t.get("iterations", 0), "tree_iterations": t.get("tree_iterations", 0),
            "root_calls": t.get("root_calls", 0), "subcalls": t.get("subcalls", 0),
            "child_runs": t.get("child_runs", 0), "model_calls": t.get("model_calls", 0),
            "input_tokens": t.get("input_tokens", 0), "output_tokens": t.get("output_tokens", 0),
            "cached_tokens": t.get("cached_tokens", 0), "cost_usd": t.get("known_cost_usd", 0.0),
            "cost_unknown": t.get("cost_unknown", False), "max_depth_reached": t.get("max_depth_reached", 0),
            "duration_ms": t.get("duration_ms", 0.0), "isolation": self.isolation, "warnings": self.warnings,
        }
