"""Run one TaskSpec: its method's run (events to `sink`), then score it and detect its failure modes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.events import Event
from rlm_studio.engine.settings import RunSettings

from .methods import run_method
from .spec import TaskResult, TaskSpec
from .task import score

# a run that failed for one of these reasons measured nothing: its row is 'failed' and `bench resume` runs it again
UNREACHED_KINDS = frozenset({"auth", "connection", "not_found", "rate_limit", "server", "malformed", "timeout"})


def _model_settings(data: dict[str, Any]) -> Any:
    if not data:
        return None
    from rlm_studio.models.registry import ModelSettings

    return ModelSettings(**data)


def _model_ms(events: list[Event]) -> float:
    """Time spent waiting for models: root calls plus sub-calls not overlapping a root call."""
    total = 0.0
    for event in events:
        if event.kind in ("model_call_finished", "subcall_finished"):
            total += float(getattr(event, "latency_ms", 0.0) or 0.0)
    return total


async def execute_task(spec: TaskSpec, sink: Sink | None = None) -> TaskResult:
    """Run the spec; a harness failure (bad settings, a crash) is a 'failed' result, never an exception."""
    from rlm_studio.analysis.findings import detect_findings

    events: list[Event] = []
    sinks: list[Sink] = [events.append] + ([sink] if sink is not None else [])
    started = time.monotonic()
    try:
        settings = RunSettings.from_dict(spec.settings)
        result = await run_method(spec.method, spec.task, settings, run_id=spec.run_id, sinks=sinks,
                                  model_settings=_model_settings(spec.model_settings))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a harness failure: the row stays to be run again by `bench resume`
        return TaskResult(task_id=spec.task.id, method=spec.method, config=spec.config, run_id=spec.run_id,
                          status="failed", score=None, answer=None, error=f"{type(exc).__name__}: {exc}",
                          duration_ms=(time.monotonic() - started) * 1000.0)
    totals = result.totals
    findings: list[dict[str, Any]] = []
    if spec.method.startswith("rlm"):  # the detectors describe RLM runs (a base run has no code by design)
        try:
            findings = detect_findings(events)
        except Exception:  # a detector bug must not lose the task's score
            findings = []
    error = (result.error or {}).get("message") if result.error else None
    unreached = result.status == "failed" and (result.error or {}).get("kind") in UNREACHED_KINDS
    return TaskResult(
        task_id=spec.task.id, method=spec.method, config=spec.config, run_id=spec.run_id,
        status="failed" if unreached else "done", score=None if unreached else score(spec.task, result.answer),
        answer=result.answer, run_status=result.status,
        cost_usd=None if totals.get("cost_unknown") else float(totals.get("cost_usd", 0.0)),
        cost_unknown=bool(totals.get("cost_unknown")), input_tokens=int(totals.get("input_tokens", 0)),
        output_tokens=int(totals.get("output_tokens", 0)), duration_ms=(time.monotonic() - started) * 1000.0,
        model_ms=_model_ms(events), error=error or result.limit, findings=findings)
