"""What the Replay tab writes: one line about an event, and the re-execution result with diffs. No Qt."""

from __future__ import annotations

import html
from typing import Any

from rlm_studio.analysis.tree import RunTree

from .compare_text import diff_html


def describe_event(event: Any, tree: RunTree) -> str:
    """One line about an event: its kind and the node it concerns."""
    what: str = event.kind.replace("_", " ")
    node = tree.nodes.get(event.node_id)
    if node is not None:
        label = node.label + (f": {node.summary}" if node.summary else "")
        if len(label) > 90:
            label = label[:89] + "…"
        what += f" — {label}"
    return what


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def differences_html(differences: list[dict[str, Any]], seconds: float | None = None) -> str:
    """The re-execution result: 'no differences', or each differing cell with a coloured diff."""
    took = f" (re-executed in {seconds:.1f} s)" if seconds is not None else ""
    if not differences:
        return (f"<p><b style='color:#2e7d32'>No differences</b>{took}: every cell printed the same output "
                "as in the recording.</p>")
    parts = [f"<p><b style='color:#c62828'>{len(differences)} difference{'s' if len(differences) != 1 else ''}"
             f"</b>{took}: these cells behaved differently from the recording.</p>"]
    for d in differences:
        where = html.escape(d["path"])
        if d.get("node_a"):
            where = f"<a href='node:{html.escape(d['node_a'])}'>{where}</a>"
        parts.append(f"<p><b>{where}</b> — {html.escape(str(d['field']))}</p>")
        if d["field"] == "cell":
            parts.append("<p>This cell ran only in the "
                         f"{'recording' if d['a'] else 're-execution'}.</p>")
            continue
        parts.append(diff_html(value_text(d["a"]), value_text(d["b"]), "recorded", "re-executed"))
    return "".join(parts)
