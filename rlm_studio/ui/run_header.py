"""The run view's header: question, answer (or status and partial answer), totals, sandbox and warnings,
and links to the run's fork parent and forks. Shows an OpenRun; its text comes from header_text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.analysis.run_summary import summarize

from .header_text import NO_RUN, header_text, lineage_html


class RunHeader(QWidget):
    run_link_activated = Signal(str)  # a run id: the parent of a fork, or one of a run's forks

    ANSWER_MAX_HEIGHT = 90

    def __init__(self, parent: QWidget | None = None) -> None:
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
        self.answer_area.viewport()   # PySide makes Python types (and their enums) on first use: this first
        # viewport() call of the app made some 36 (about 8 ms of the UI thread), at a run's start; now here
        for widget in (self.question, self.lineage, self.answer_area, self.totals, self.sandbox):
            layout.addWidget(widget)
        self.figures: dict[str, Any] = {}  # the figures shown, by name (see RunSummary.figures)
        self.question.setText(NO_RUN)

    def show_run(self, run: OpenRun, now: float | None = None) -> None:
        """Show the run's current state (the run view calls this, throttled, when the run changes); a run
        still going is timed to `now` (default: the clock)."""
        summary = summarize(run, now)
        self.figures = summary.figures() if summary is not None else {}
        text = header_text(summary, running=run.running)
        self.question.setText(text.question)
        self.answer.setText(text.answer)
        self.totals.setText(text.totals)
        self.sandbox.setText(text.sandbox)
        self.show_links(run)
        self._fit_answer()

    def show_elapsed(self, run: OpenRun) -> None:
        """Refresh only the totals line (its Time grows while a model call keeps the run without events)."""
        summary = summarize(run)
        if summary is not None:
            self.totals.setText(header_text(summary, running=run.running).totals)

    def show_links(self, run: OpenRun) -> None:
        links = lineage_html(run.parent, run.forks)
        self.lineage.setText(links)
        self.lineage.setVisible(bool(links))

    def plain_text(self) -> str:
        """Everything the header says, as plain text (for tests that compare surfaces)."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        parts = []
        for label in (self.question, self.lineage, self.answer, self.totals, self.sandbox):
            doc.setHtml(label.text())
            parts.append(doc.toPlainText())
        return "\n".join(p for p in parts if p)

    def _link(self, href: str) -> None:
        if href.startswith("run:"):
            self.run_link_activated.emit(href[4:])

    def _fit_answer(self) -> None:
        """As tall as the answer needs, up to ANSWER_MAX_HEIGHT (then it scrolls)."""
        width = max(100, self.answer_area.viewport().width() or self.width() - 20)
        needed = self.answer.heightForWidth(width) if self.answer.text() else 0
        self.answer_area.setFixedHeight(max(0, min(self.ANSWER_MAX_HEIGHT, needed + 2)))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_answer()
