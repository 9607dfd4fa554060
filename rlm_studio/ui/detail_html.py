"""HTML for the detail pane: every section of a node, long texts cut with a "Show all" link, copy links.

Pure functions over NodeRecord + the node's events (no widgets), so they are easy to test.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from . import formatting as fmt
from .highlight import highlight_html

PREVIEW_CHARS = 3000
ROLE_COLOURS = {"system": "#6a1b9a", "user": "#1565c0", "assistant": "#2e7d32", "tool": "#ef6c00"}


@dataclass
class Section:
    key: str
    title: str
    text: str
    kind: str = "text"        # "text" | "code" | "error" | "message"
    role: str | None = None


@dataclass
class NodeDetail:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def build_detail(node: Any, events: list[Any], streaming: str | None = None) -> NodeDetail:
    """Collect what the pane shows for one node from its record and its events."""
    by_kind = {e.kind: e for e in events}
    detail = NodeDetail(title=f"{node.label}" + (f" — {node.model}" if node.model else ""))
    facts = detail.facts
    facts.append(("Status", fmt.status(node.status)))
    if node.duration_ms is not None:
        facts.append(("Duration", fmt.duration_ms(node.duration_ms)))
    if node.input_tokens or node.output_tokens:
        est = " (estimated)" if node.tokens_estimated else ""
        facts.append(("Tokens", f"{fmt.tokens(node.input_tokens)} in / {fmt.tokens(node.output_tokens)} out{est}"))
    if node.kind in ("model_call", "subcall") and node.status != "running":
        facts.append(("Cost", fmt.dollars(node.cost_usd, "unknown (no price for this model)")))
    if node.depth:
        facts.append(("Depth", str(node.depth)))
    add = detail.sections.append
    if node.error:
        add(Section("error_summary", "Error", node.error, "error"))
    if node.kind == "run":
        started = by_kind.get("run_started")
        if started is not None:
            add(Section("question", "Question", started.question))
            if started.system_prompt:
                add(Section("system_prompt", "System prompt", started.system_prompt))
            if started.documents:
                add(Section("documents", "Documents", "\n".join(
                    f"{d.get('name', '?')}: {fmt.tokens(d.get('chars', 0))} characters" for d in started.documents)))
            if started.settings:
                add(Section("settings", "Settings", json.dumps(started.settings, indent=2, default=str), "code"))
            facts.append(("Sandbox", started.isolation or "unknown"))
        finished = by_kind.get("run_finished")
        if finished is not None:
            if finished.answer is not None:
                add(Section("answer", "Answer", finished.answer))
            else:
                candidate = getattr(finished, "best_candidate", None) or {}
                add(Section("answer", "No answer", "The run ended without FINAL or FINAL_VAR."))
                if candidate.get("text"):
                    add(Section("best_candidate", f"Best candidate (from the {candidate.get('source', 'run')}; "
                                "not an answer)", str(candidate["text"])))
    elif node.kind == "model_call":
        started = by_kind.get("model_call_started")
        if started is not None:
            for i, message in enumerate(started.messages):
                add(Section(f"msg{i}", message.get("role", "?"), message.get("content") or "", "message",
                            message.get("role")))
        finished = by_kind.get("model_call_finished")
        if finished is not None:
            add(Section("response", "Response (assistant)", finished.response, "message", "assistant"))
            if finished.retries:
                facts.append(("Retries", str(finished.retries)))
        elif streaming:
            add(Section("response", "Response so far (streaming)", streaming, "message", "assistant"))
    elif node.kind == "cell":
        started = by_kind.get("cell_started")
        if started is not None:
            add(Section("code", "Code", started.code, "code"))
        finished = by_kind.get("cell_finished")
        if finished is not None:
            out_note = f" (showing {len(finished.stdout):,} of {finished.stdout_chars:,})" \
                if finished.stdout_chars > len(finished.stdout) else ""
            add(Section("stdout", "Output (stdout)" + out_note, finished.stdout or "(nothing printed)"))
            if finished.stderr:
                add(Section("stderr", "Errors (stderr)", finished.stderr, "error"))
            if finished.error:
                err = finished.error
                add(Section("traceback", f"{err.get('type', 'Error')}: {err.get('message', '')}",
                            err.get("traceback") or "", "error"))
            if finished.timed_out:
                add(Section("timeout", "Timed out", "The cell ran longer than its time limit and was stopped.", "error"))
            if finished.crashed:
                add(Section("crashed", "REPL crashed", f"{finished.crashed}\nThe REPL was restarted; "
                            f"variables restored: {', '.join(finished.restored) or 'none'}.", "error"))
            if finished.variables:
                add(Section("variables", "REPL variables after this cell", "\n".join(
                    f"{v.get('name')}: {v.get('type', '')} = {v.get('summary', v.get('repr', ''))}"
                    for v in finished.variables)))
            if finished.final:
                add(Section("final", "FINAL called", str(finished.final.get("value", ""))))
            if finished.feedback_cut_chars:
                facts.append(("Cut from feedback", f"{finished.feedback_cut_chars:,} characters"))
    elif node.kind == "subcall":
        started = by_kind.get("subcall_started")
        if started is not None:
            add(Section("prompt", "Prompt (user)", started.prompt, "message", "user"))
            if started.batch_id:
                facts.append(("Batch", f"{started.batch_id} item {started.batch_index} of {started.batch_size}"))
        finished = by_kind.get("subcall_finished")
        if finished is not None and not finished.error:
            add(Section("response", "Response (assistant)", finished.response, "message", "assistant"))
    elif node.kind == "final_answer":
        answer = by_kind.get("final_answer")
        if answer is not None:
            add(Section("answer", f"Final answer ({answer.via}"
                        + (f" of {answer.var_name}" if answer.var_name else "") + ")", answer.answer))
    elif node.kind == "iteration":
        finished = by_kind.get("iteration_finished")
        if finished is not None:
            facts.append(("Code blocks", str(finished.code_blocks)))
            if finished.ended_run:
                facts.append(("Ended the run", "yes"))
    return detail


def render_html(detail: NodeDetail, expanded: set[str], preview_chars: int = PREVIEW_CHARS) -> str:
    """The pane's HTML; links: `showall:KEY` expands a section, `copy:KEY` copies its full text."""
    out = [f"<h3 style='margin:2px 0'>{html.escape(detail.title)}</h3>"]
    if detail.facts:
        out.append("<table cellspacing=0 cellpadding=2>")
        for name, value in detail.facts:
            out.append(f"<tr><td style='color:#666'>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>")
        out.append("</table>")
    for section in detail.sections:
        text = section.text or ""
        cut = len(text) > preview_chars and section.key not in expanded
        shown = text[:preview_chars] if cut else text
        colour = ROLE_COLOURS.get(section.role or "", "#333")
        if section.kind == "error":
            colour = "#c62828"
        out.append(f"<p style='margin:10px 0 2px 0'><b style='color:{colour}'>{html.escape(section.title)}</b>"
                   f" &nbsp;<a href='copy:{section.key}'>Copy</a></p>")
        if section.kind == "code":
            out.append(f"<div style='background:#f6f8fa; padding:4px'>{highlight_html(shown)}</div>")
        else:
            style = "color:#c62828;" if section.kind == "error" else ""
            out.append(f"<pre style='margin:0; white-space:pre-wrap; {style}'>{html.escape(shown)}</pre>")
        if cut:
            out.append(f"<p style='margin:2px 0'><i>Showing {preview_chars:,} of {len(text):,} characters.</i> "
                       f"<a href='showall:{section.key}'>Show all</a></p>")
    return "\n".join(out)


def section_text(detail: NodeDetail, key: str) -> str | None:
    for section in detail.sections:
        if section.key == key:
            return section.text
    return None
