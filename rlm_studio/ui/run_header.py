"""The run view's header: question, answer (or status and partial answer), totals, sandbox and warnings."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from . import formatting as fmt


ISOLATION_WORDS = {
    "bwrap": "bwrap (bubblewrap: no network, read-only system, private /tmp)",
    "process": "process (a plain subprocess: no filesystem or network isolation)",
}


def header_figures(tree: Any, index: Any) -> dict[str, Any]:
    """The totals the header shows, from the tree's subtree totals of the root run."""
    root = tree.root_id
    if root is None:
        return {}
    totals = tree.totals(root)
    node = tree.node(root)
    end = node.ended_ts
    if end is None and index.events:
        end = index.events[-1].ts
    return {
        "input_tokens": totals.input_tokens, "output_tokens": totals.output_tokens,
        "cost_usd": totals.cost_usd, "known_cost_usd": totals.known_cost_usd,
        "iterations": sum(1 for c in tree.children(root) if tree.node(c).kind == "iteration"),
        "subcalls": totals.subcalls, "child_runs": totals.child_runs, "max_depth": totals.max_depth,
        "elapsed_s": max(0.0, (end or node.started_ts) - node.started_ts),
    }


class RunHeader(QWidget):
    run_link_activated = Signal(str)  # a run id: the parent of a fork, or one of a run's forks

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        self.question = QLabel()
        self.answer = QLabel()
        self.totals = QLabel()
        self.sandbox = QLabel()
        self.lineage = QLabel()  # "Forked from …" and "Forks: …", as links
        self.lineage.setWordWrap(True)
        self.lineage.setTextFormat(Qt.TextFormat.RichText)
        self.lineage.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                             | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.lineage.linkActivated.connect(self._link)
        self.lineage.setVisible(False)
        for label in (self.question, self.answer, self.totals, self.sandbox):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # a long answer wraps and scrolls instead of pushing the tree away (the full text: the answer node)
        self.answer_area = QScrollArea()
        self.answer_area.setWidget(self.answer)
        self.answer_area.setWidgetResizable(True)
        self.answer_area.setFrameShape(QFrame.Shape.NoFrame)
        self.answer_area.setFixedHeight(20)
        self.answer_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for widget in (self.question, self.lineage, self.answer_area, self.totals, self.sandbox):
            layout.addWidget(widget)
        self.figures: dict[str, Any] = {}
        self.clear()

    ANSWER_MAX_HEIGHT = 90

    def set_lineage(self, parent: tuple[str, str, int] | None, forks: list[tuple[str, str, int]]) -> None:
        """Links to the run this one was forked from and to the runs forked from it: (run id, title, iteration)."""
        parts = []
        if parent is not None:
            run_id, title, iteration = parent
            parts.append(f"<b>Forked from</b> <a href='run:{html.escape(run_id)}'>{html.escape(_short(title))}</a>"
                         + (f" at iteration {iteration}" if iteration else ""))
        if forks:
            links = ", ".join(f"<a href='run:{html.escape(run_id)}'>{html.escape(_short(title))}</a>"
                              + (f" (at iteration {iteration})" if iteration else "") for run_id, title, iteration in forks)
            parts.append(f"<b>Forks:</b> {links}")
        self.lineage.setText(" &nbsp;·&nbsp; ".join(parts))
        self.lineage.setVisible(bool(parts))

    def _link(self, href: str) -> None:
        if href.startswith("run:"):
            self.run_link_activated.emit(href[4:])

    def _fit_answer(self) -> None:
        """As tall as the answer needs, up to ANSWER_MAX_HEIGHT (then it scrolls)."""
        width = max(100, self.answer_area.viewport().width() or self.width() - 20)
        needed = self.answer.heightForWidth(width) if self.answer.text() else 0
        self.answer_area.setFixedHeight(max(0, min(self.ANSWER_MAX_HEIGHT, needed + 2)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_answer()

    def clear(self) -> None:
        self.figures = {}
        self.question.setText("<i>No run open. Start one from “New run”, or pick one from the history.</i>")
        for label in (self.answer, self.totals, self.sandbox):
            label.setText("")
        if hasattr(self, "answer_area"):
            self._fit_answer()

    def update_from(self, tree: Any, index: Any, *, running: bool) -> None:
        started = index.root_started
        if started is None:
            self.clear()
            return
        q = started.question
        q = q if len(q) <= 400 else q[:400] + "…"
        self.question.setText(f"<b>Question:</b> {html.escape(q)}")
        finished = index.root_finished
        if finished is not None:
            status = finished.status
            text = finished.answer or ""
            colour = fmt.STATUS_COLOURS.get(status, "#333")
            if status == "completed":
                self.answer.setText(f"<b style='color:{colour}'>Answer:</b> {html.escape(_cut(text))}")
            else:
                why = ""
                if finished.limit:
                    why = f" ({html.escape(finished.limit)})"
                elif finished.error:
                    why = f": {html.escape(str(finished.error.get('message', '')))}"
                partial = f" — partial answer: {html.escape(_cut(text))}" if text else " — no answer"
                self.answer.setText(f"<b style='color:{colour}'>{html.escape(fmt.status(status)).capitalize()}"
                                    f"{why}</b>{partial}")
        else:
            self.answer.setText("<b style='color:#1565c0'>Running…</b>" if running
                                else "<b style='color:#6d4c41'>Not finished</b> (the app stopped during this run)")
        f = header_figures(tree, index)
        self.figures = f
        if f:
            cost = fmt.dollars(f["cost_usd"]) if f["cost_usd"] is not None \
                else f"≥ {fmt.dollars(f['known_cost_usd'])} (some prices unknown)"
            self.totals.setText(
                f"<b>Tokens</b> {fmt.tokens(f['input_tokens'])} in / {fmt.tokens(f['output_tokens'])} out"
                f" &nbsp; <b>Cost</b> {cost} &nbsp; <b>Time</b> {fmt.duration_ms(f['elapsed_s'] * 1000)}"
                f" &nbsp; <b>Iterations</b> {f['iterations']} &nbsp; <b>Sub-calls</b> {f['subcalls']}"
                f" &nbsp; <b>Child runs</b> {f['child_runs']} &nbsp; <b>Deepest depth</b> {f['max_depth']}")
        warnings = list(started.warnings)
        warnings += [n.message for n in index.notices if n.kind == "notice" and n.level in ("warning", "error")]
        isolation = started.isolation or getattr(index, "isolation", "") or "not recorded"
        sandbox = f"<b>Sandbox:</b> {html.escape(ISOLATION_WORDS.get(isolation, isolation))}"
        if warnings:
            sandbox += "".join(f"<br><span style='color:#ef6c00'>⚠ {html.escape(w)}</span>" for w in warnings[:6])
            if len(warnings) > 6:
                sandbox += f"<br>… and {len(warnings) - 6} more warnings"
        self.sandbox.setText(sandbox)
        self._fit_answer()


def _short(title: str, limit: int = 80) -> str:
    title = (title or "").strip().splitlines()[0] if (title or "").strip() else "(untitled run)"
    return title if len(title) <= limit else title[:limit] + "…"


def _cut(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
