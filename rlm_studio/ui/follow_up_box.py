"""The box under a finished run's answer: ask a follow-up question on the same REPL (the next turn)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class FollowUpBox(QWidget):
    """A one-line question and an Ask button; `ask_requested(question)` when the user asks."""

    ask_requested = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask a follow-up question on this run's REPL (its variables stay)…")
        self.ask_button = QPushButton("Ask follow-up")
        self.turn_label = QLabel()
        self.turn_label.setStyleSheet("color:#666")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.turn_label)
        layout.addWidget(self.question, 1)
        layout.addWidget(self.ask_button)
        self.ask_button.clicked.connect(self._ask)
        self.question.returnPressed.connect(self._ask)
        self.setVisible(False)

    def _ask(self) -> None:
        text = self.question.text().strip()
        if text:
            self.ask_requested.emit(text)

    def show_for(self, finished: bool, turn: int | None = None) -> None:
        """Visible under a run that has ended; says which turn of a conversation the run is."""
        self.setVisible(finished)
        self.turn_label.setText(f"Turn {turn}" if turn and turn > 1 else "")
