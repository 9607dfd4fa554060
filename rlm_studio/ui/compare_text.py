"""What the Compare tab shows, as plain data and rich text: aligned steps of 2+ runs, text diffs, figures
and their deltas. No Qt: unit-tested directly; compare_view.py lays it out."""

from __future__ import annotations

import difflib
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlm_studio.analysis.alignment import Item, Key
from rlm_studio.engine.events import Event, event_from_dict

from . import formatting as fmt

DIFFER_BACKGROUND = "#fff4cc"
REGRESSION = "#c62828"
IMPROVEMENT = "#2e7d32"
MISSING_TEXT = "— not in this run"
MAX_OVERVIEW_DIFFERENCES = 200
# Order in which a step's fields are shown and diffed.
FIELD_ORDER = ("status", "limit", "answer", "code", "prompt", "response", "stdout", "stderr", "error")


def stored_events(events: Iterable[Any]) -> list[Event]:
    """Typed events (dicts are read), without the live-only stream deltas."""
    typed = [e if isinstance(e, Event) else event_from_dict(e) for e in events]
    return [e for e in typed if not e.ephemeral]


def diff_html(a: Any, b: Any, a_label: str = "A", b_label: str = "B", *, context: int = 3) -> str:
    """A unified diff of two texts as coloured HTML (removed lines red, added green)."""
    a_text = "" if a is None else str(a)
    b_text = "" if b is None else str(b)
    if a_text == b_text:
        return "<p><i>same text</i></p>"
    lines = list(difflib.unified_diff(a_text.splitlines(), b_text.splitlines(), fromfile=a_label, tofile=b_label,
                                      n=context, lineterm=""))
    out = []
    for line in lines:
        text = html.escape(line) or "&nbsp;"
        if line.startswith(("---", "+++")):
            out.append(f"<span style='color:#555; font-weight:bold'>{text}</span>")
        elif line.startswith("@@"):
            out.append(f"<span style='color:#1565c0'>{text}</span>")
        elif line.startswith("-"):
            out.append(f"<span style='background-color:#fde0e0; color:#8e0000'>{text}</span>")
        elif line.startswith("+"):
            out.append(f"<span style='background-color:#dff5df; color:#1b5e20'>{text}</span>")
        else:
            out.append(text)
    return "<pre style='margin:2px 0 8px 0'>" + "<br>".join(out) + "</pre>"


@dataclass
class AlignedRow:
    """One step of the aligned runs: the item each run has at this path (None: the run has no such step)."""

    path: str
    key: Key
    kind: str
    items: list[Item | None]
    differing_fields: list[str] = field(default_factory=list)  # fields where some run differs from the baseline

    @property
    def differs(self) -> bool:
        return bool(self.differing_fields)

    @property
    def level(self) -> int:
        return self.path.count(" / ")


def field_names(items: Iterable[Item | None]) -> list[str]:
    names: set[str] = set()
    for item in items:
        if item is not None:
            names.update(item.fields)
    return sorted(names, key=lambda n: (FIELD_ORDER.index(n) if n in FIELD_ORDER else 99, n))


def aligned_rows(runs_items: Sequence[dict[str, Item]]) -> list[AlignedRow]:
    """Every path of every run in one reading order, marking where a run differs from the first."""
    keys: dict[str, Key] = {}
    kinds: dict[str, str] = {}
    for items in runs_items:
        for path, item in items.items():
            keys.setdefault(path, item.key)
            kinds.setdefault(path, item.kind)
    rows = []
    for path in sorted(keys, key=lambda p: keys[p]):
        row_items = [run.get(path) for run in runs_items]
        differing: list[str] = []
        if any(item is None for item in row_items):
            differing.append("presence")
        base = row_items[0]
        if base is not None:
            for name in field_names(row_items):
                if any(item is not None and item.fields.get(name) != base.fields.get(name) for item in row_items[1:]):
                    differing.append(name)
        rows.append(AlignedRow(path, keys[path], kinds[path], row_items, differing))
    return rows


def _first_line(text: Any, limit: int = 70) -> str:
    if text is None:
        return ""
    for line in str(text).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def item_summary(item: Item | None) -> str:
    """What a table cell shows for one run's step."""
    if item is None:
        return MISSING_TEXT
    f = item.fields
    if item.kind == "run":
        answer = _first_line(f.get("answer"), 60)
        text = fmt.status(f.get("status"))
        if f.get("limit"):
            text += f" ({f['limit']})"
        return f"{text}: {answer}" if answer else text
    if f.get("error"):
        return "✗ " + _first_line(f["error"])
    if item.kind == "cell":
        out = _first_line(f.get("stdout"), 40)
        return _first_line(f.get("code"), 50) + (f"  → {out}" if out else "")
    if item.kind == "subcall":
        return f"{_first_line(f.get('prompt'), 40)}  → {_first_line(f.get('response'), 30)}"
    if item.kind == "model_call":
        return _first_line(f.get("response"), 60) if f.get("response") else "ok"
    return ""


def metric_text(key: str, value: Any) -> str:
    if value is None:
        return "?"
    if key == "cost_usd":
        return fmt.dollars(value)
    if key == "wall_s":
        return f"{value:.2f} s"
    return f"{int(value):,}" if isinstance(value, (int, float)) else str(value)


def delta_text(key: str, delta: Any) -> str:
    if delta is None:
        return "?"
    if delta == 0:
        return "±0"
    sign = "+" if delta > 0 else "−"
    size = abs(delta)
    if key == "cost_usd":
        return sign + fmt.dollars(size)
    if key == "wall_s":
        return f"{sign}{size:.2f} s" if size >= 1 else f"{sign}{size * 1000:.0f} ms"
    return f"{sign}{int(size):,}"


def is_notable(key: str, baseline: Any, delta: Any) -> bool:
    """Whether a delta is worth colouring: any change of a count, tokens or cost; time only from 5 %
    of the baseline (a few milliseconds either way are noise)."""
    if not delta:
        return False
    if key == "wall_s":
        return bool(abs(delta) >= 0.05 * abs(baseline or 0) and abs(delta) >= 0.001)
    return True
