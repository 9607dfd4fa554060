"""The box under a finished run's answer: ask a follow-up question on the same REPL (the next turn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class FollowUpBox(QWidget):
    """A one-line question and an Ask button; `ask_requested(question)` when the user asks."""

    ask_requested = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask a follow-up question on this run's REPL (its variables stay)…")
        self.ask_button = QPushButton("Ask follow-up")
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.setToolTip("More documents for the follow-up (added to `context`)")
        self.more_files: list[Path] = []
        self.turn_label = QLabel()
        self.turn_label.setStyleSheet("color:#666")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.turn_label)
        layout.addWidget(self.question, 1)
        layout.addWidget(self.add_files_button)
        layout.addWidget(self.ask_button)
        self.ask_button.clicked.connect(self._ask)
        self.add_files_button.clicked.connect(self._choose_files)
        self.question.returnPressed.connect(self._ask)
        self.setVisible(False)

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "More documents for the follow-up")
        if paths:
            self.add_files([Path(p) for p in paths])

    def add_files(self, paths: list[Path]) -> None:
        self.more_files.extend(paths)
        self.add_files_button.setText(f"Add files… ({len(self.more_files)})")

    def take_files(self) -> list[Path]:
        """The documents chosen for the next follow-up (then none again)."""
        files, self.more_files = self.more_files, []
        self.add_files_button.setText("Add files…")
        return files

    def _ask(self) -> None:
        text = self.question.text().strip()
        if text:
            self.ask_requested.emit(text)

    def show_for(self, finished: bool, turn: int | None = None) -> None:
        """Visible under a run that has ended; says which turn of a conversation the run is."""
        self.setVisible(finished)
        self.turn_label.setText(f"Turn {turn}" if turn and turn > 1 else "")
