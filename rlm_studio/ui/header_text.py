"""The run header's and the status bar's text from a RunSummary (rich text for labels). No Qt: unit-tested
directly, and read back by tests that compare what every surface shows."""

from __future__ import annotations

import html
from dataclasses import dataclass

from rlm_studio.analysis.open_run import RunLink
from rlm_studio.analysis.run_summary import RunSummary

from . import formatting as fmt

ISOLATION_WORDS = {
    "bwrap": "bwrap (bubblewrap: no network, read-only system, private /tmp)",
    "process": "process (a plain subprocess: no filesystem or network isolation)",
}
NO_RUN = "<i>No run open. Start one from “New run”, or pick one from the history.</i>"
MAX_WARNINGS = 6


@dataclass(frozen=True)
class HeaderText:
    question: str
    answer: str
    totals: str
    sandbox: str


def header_text(summary: RunSummary | None, *, running: bool) -> HeaderText:
    if summary is None:
        return HeaderText(NO_RUN, "", "", "")
    q = summary.question if len(summary.question) <= 400 else summary.question[:400] + "…"
    return HeaderText(f"<b>Question:</b> {html.escape(q)}", answer_html(summary, running=running),
                      totals_html(summary), sandbox_html(summary))


def answer_html(s: RunSummary, *, running: bool) -> str:
    if not s.finished:
        return ("<b style='color:#1565c0'>Running…</b>" if running
                else "<b style='color:#6d4c41'>Not finished</b> (the app stopped during this run)")
    colour = fmt.STATUS_COLOURS.get(s.status, "#333")
    if s.status == "completed":
        return f"<b style='color:{colour}'>Answer:</b> {html.escape(_cut(s.answer))}"
    why = f" ({html.escape(s.limit)})" if s.limit else (f": {html.escape(s.error)}" if s.error else "")
    candidate = s.best_candidate or {}
    if s.answer:
        partial = f" — answer: {html.escape(_cut(s.answer))}"
    elif candidate.get("text"):
        partial = (f" — no answer; best candidate (from the {html.escape(str(candidate.get('source', 'run')))}):"
                   f" {html.escape(_cut(str(candidate['text'])))}")
    else:
        partial = " — no answer"
    return f"<b style='color:{colour}'>{html.escape(fmt.status(s.status)).capitalize()}{why}</b>{partial}"


def cost_text(s: RunSummary, unknown_note: str = " (some prices unknown)") -> str:
    t = s.totals
    return fmt.dollars(t.cost_usd) if t.cost_usd is not None else f"≥ {fmt.dollars(t.known_cost_usd)}{unknown_note}"


def totals_html(s: RunSummary) -> str:
    t = s.totals
    return (f"<b>Tokens</b> {fmt.tokens(t.input_tokens)} in / {fmt.tokens(t.output_tokens)} out"
            f" &nbsp; <b>Cost</b> {cost_text(s)} &nbsp; <b>Time</b> {fmt.duration_ms(s.elapsed_s * 1000)}"
            f" &nbsp; <b>Iterations</b> {s.iterations} &nbsp; <b>Sub-calls</b> {t.subcalls}"
            f" &nbsp; <b>Child runs</b> {t.child_runs} &nbsp; <b>Deepest depth</b> {t.max_depth}")


def sandbox_html(s: RunSummary) -> str:
    isolation = s.isolation or "not recorded"
    text = f"<b>Sandbox:</b> {html.escape(ISOLATION_WORDS.get(isolation, isolation))}"
    shown = s.warnings[:MAX_WARNINGS]
    text += "".join(f"<br><span style='color:#ef6c00'>⚠ {html.escape(w)}</span>" for w in shown)
    if len(s.warnings) > MAX_WARNINGS:
        text += f"<br>… and {len(s.warnings) - MAX_WARNINGS} more warnings"
    return text


def status_line(s: RunSummary | None, *, running: bool) -> str:
    """The status bar's permanent line: state, iteration, time, cost, sub-calls."""
    if s is None:
        return ""
    state = "Running" if running else fmt.status(s.status).capitalize()
    return (f"{state} · iteration {s.iterations} · {fmt.duration_ms(s.elapsed_s * 1000)}"
            f" · {cost_text(s, '')} · {s.totals.subcalls} sub-calls")


def lineage_html(parent: RunLink | None, forks: list[RunLink]) -> str:
    """Links to the run this one was forked from and to the runs forked from it ("" when neither)."""
    parts = []
    if parent is not None:
        parts.append(f"<b>Forked from</b> <a href='run:{html.escape(parent.run_id)}'>{html.escape(_short(parent.title))}"
                     "</a>" + (f" at iteration {parent.iteration}" if parent.iteration else ""))
    if forks:
        links = ", ".join(f"<a href='run:{html.escape(f.run_id)}'>{html.escape(_short(f.title))}</a>"
                          + (f" (at iteration {f.iteration})" if f.iteration else "") for f in forks)
        parts.append(f"<b>Forks:</b> {links}")
    return " &nbsp;·&nbsp; ".join(parts)


def _short(title: str, limit: int = 80) -> str:
    title = (title or "").strip().splitlines()[0] if (title or "").strip() else "(untitled run)"
    return title if len(title) <= limit else title[:limit] + "…"


def _cut(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
