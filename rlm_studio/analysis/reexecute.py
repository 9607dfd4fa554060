"""Re-execute a stored run: its recorded root responses and sub-call answers, against a fresh sandbox.

The root model becomes a `script:` model that returns the recorded responses in call order, the
sub-model one that answers each recorded prompt with its recorded answer. Whatever REPL output
differs from the recording then comes from the code's environment, not from a model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from rlm_studio.engine.emitter import Sink
from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    Event,
    ModelCallFinished,
    SubcallFinished,
    SubcallStarted,
)
from rlm_studio.engine.recorded import recorded_context, root_run_started
from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunResult, RunSettings


def replay_scripts(events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(root script, sub-model script) that reproduce every recorded model answer."""
    responses = [e.response for e in events if isinstance(e, ModelCallFinished) and not e.error]
    started = {e.node_id: e for e in events if isinstance(e, SubcallStarted)}
    replies = []
    for e in events:
        if isinstance(e, SubcallFinished) and e.node_id in started:
            reply: dict[str, Any] = {"prompt": started[e.node_id].prompt, "content": e.response}
            if e.error:
                reply["error"] = e.error.get("kind", "unknown")
            replies.append(reply)
    return {"responses": responses}, {"replies": replies, "default": ""}


def replay_settings(events: list[Event], root_spec: str, sub_spec: str) -> RunSettings:
    root = root_run_started(events)
    settings = RunSettings.from_dict(root.settings)
    settings.root_model, settings.sub_model = root_spec, sub_spec
    settings.max_cost_usd = settings.max_tokens = None  # scripted answers cost nothing; keep the shape
    return settings


async def reexecute(events: list[Event], *, sinks: list[Sink] | None = None,
                    context: Any = None) -> tuple[RunResult, list[Event]]:
    """Run the recording again; return (RunResult, the new events). `context` (default: the recorded one) is
    given for a file-backed run: its document restored from the database (storage.file_contexts.materialize)."""
    from rlm_studio.engine.stored_context import StoredContext

    root = root_run_started(events)
    if context is None:
        context = recorded_context(events)
    if isinstance(context, StoredContext):
        raise ValueError("this run's document was kept in a file: restore it from the database first "
                         "(re-execution needs its text)")
    root_script, sub_script = replay_scripts(events)
    new_events: list[Event] = []
    with tempfile.TemporaryDirectory(prefix="rlm-studio-replay-") as tmp:
        root_path, sub_path = Path(tmp) / "root.json", Path(tmp) / "sub.json"
        root_path.write_text(json.dumps(root_script), encoding="utf-8")
        sub_path.write_text(json.dumps(sub_script), encoding="utf-8")
        settings = replay_settings(events, f"script:{root_path}", f"script:{sub_path}")
        session = RlmSession(root.question, context, settings,
                             sinks=[new_events.append, *(sinks or [])],
                             forked_from={"run_id": root.run_id, "node_id": root.node_id, "reexecution": True})
        result = await session.run()
    return result, new_events


def cell_differences(recorded: list[Event], replayed: list[Event]) -> list[dict[str, Any]]:
    """Cells whose output, error or final differ, aligned by order of execution."""
    Cell = tuple[CellStarted | None, CellFinished | None]

    def cells(events: list[Event]) -> list[Cell]:
        started = {e.node_id: e for e in events if isinstance(e, CellStarted)}
        return [(started.get(e.node_id), e) for e in events if isinstance(e, CellFinished)]

    differences: list[dict[str, Any]] = []
    a_cells, b_cells = cells(recorded), cells(replayed)
    for n in range(max(len(a_cells), len(b_cells))):
        a: Cell = a_cells[n] if n < len(a_cells) else (None, None)
        b: Cell = b_cells[n] if n < len(b_cells) else (None, None)
        first = a[0] or b[0]
        where = f"iteration {first.iteration} / cell {first.index}" if first else f"cell #{n + 1}"
        if a[1] is None or b[1] is None:
            differences.append({"path": where, "field": "cell", "a": a[1] is not None, "b": b[1] is not None,
                                "node_a": a[1].node_id if a[1] else None, "node_b": b[1].node_id if b[1] else None})
            continue
        for field in ("stdout", "stderr", "error", "final", "timed_out", "crashed"):
            va, vb = getattr(a[1], field), getattr(b[1], field)
            if field == "error" and va and vb:
                va, vb = (va.get("type"), va.get("message")), (vb.get("type"), vb.get("message"))
            if va != vb:
                differences.append({"path": where, "field": field, "a": va, "b": vb,
                                    "node_a": a[1].node_id, "node_b": b[1].node_id})
    return differences
