"""Compare two runs: what they did differently (code, output, sub-calls, answers) and their figures."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from rlm_studio.engine.events import Event

from ._events import as_events
from .alignment import Item, align_items
from .run_figures import METRICS, compare_totals, metric_delta, run_figures

__all__ = ["diff_runs", "diff_items", "text_diff", "compare_totals", "run_figures"]


def text_diff(a: Any, b: Any, *, context: int = 3) -> str:
    """A unified diff of two values as text (None reads as empty)."""
    a_text = "" if a is None else str(a)
    b_text = "" if b is None else str(b)
    lines = difflib.unified_diff(a_text.splitlines(keepends=True), b_text.splitlines(keepends=True),
                                 fromfile="A", tofile="B", n=context)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of text\n" for line in lines)


def _has_missing_ancestor(path: str, missing: set[str]) -> bool:
    parts = path.split(" / ")
    return any(" / ".join(parts[:i]) in missing for i in range(1, len(parts)))


def diff_items(items_a: dict[str, Item], items_b: dict[str, Item]) -> list[dict[str, Any]]:
    """Differences between two aligned runs, in reading order; an item missing from one run is
    reported once (its own sub-items are not listed again)."""
    keys = {path: item.key for path, item in items_a.items()}
    keys.update({path: item.key for path, item in items_b.items() if path not in keys})
    missing: set[str] = set()
    differences: list[dict[str, Any]] = []
    for path in sorted(keys, key=lambda p: keys[p]):
        a, b = items_a.get(path), items_b.get(path)
        if a is None or b is None:
            if _has_missing_ancestor(path, missing):
                continue
            missing.add(path)
            present = a if a is not None else b
            assert present is not None
            differences.append({"path": path, "field": "presence",
                                "a": "present" if a else "missing", "b": "present" if b else "missing",
                                "diff": f"{present.kind.replace('_', ' ')} only in run {'A' if a else 'B'}"})
            continue
        for name in a.fields.keys() | b.fields.keys():
            va, vb = a.fields.get(name), b.fields.get(name)
            if va == vb:
                continue
            texty = isinstance(va, str) or isinstance(vb, str)
            differences.append({"path": path, "field": name, "a": va, "b": vb,
                                "diff": text_diff(va, vb) if texty else f"{va!r} -> {vb!r}"})
    order = ("presence", "status", "limit", "answer", "code", "prompt", "response", "stdout", "stderr", "error")
    differences.sort(key=lambda d: (keys[d["path"]], order.index(d["field"]) if d["field"] in order else 99))
    return differences


def diff_runs(events_a: Iterable[Event | dict[str, Any]], events_b: Iterable[Event | dict[str, Any]], *,
              root_responses: bool = False) -> dict[str, Any]:
    """Compare run A with run B.

    Returns {"differences": [{"path", "field", "a", "b", "diff"}...], "totals": {"a", "b", "delta", "metrics"}}.
    `differences` is empty when code, output, sub-call texts, errors, statuses and answers all match;
    ids, timestamps and latencies never count. `root_responses=True` also compares the root model's
    full response texts (prose included), not only the code taken from them.
    """
    events_a, events_b = as_events(events_a), as_events(events_b)
    figures_a, figures_b = run_figures(events_a), run_figures(events_b)
    differences = diff_items(align_items(events_a, root_responses=root_responses),
                             align_items(events_b, root_responses=root_responses))
    keys = [key for key, _ in METRICS]
    totals = {
        "a": {k: figures_a[k] for k in ("run_id", "status", "question", *keys, "known_cost_usd", "cost_unknown")},
        "b": {k: figures_b[k] for k in ("run_id", "status", "question", *keys, "known_cost_usd", "cost_unknown")},
        "delta": {k: metric_delta(figures_a[k], figures_b[k]) for k in keys},
        "metrics": [{"key": k, "label": label} for k, label in METRICS],
    }
    return {"differences": differences, "totals": totals}
