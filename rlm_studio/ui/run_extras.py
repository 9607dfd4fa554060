"""The new-run panel's "Tools…" picker (user functions for the REPL) and how the run ends (answer protocol)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

PROTOCOL_CHOICES = (
    ("final", "FINAL(answer) / FINAL_VAR(name)"),
    ("answer-dict", 'answer["content"] + answer["ready"] = True (official rlms)'),
    ("submit", "SUBMIT(answer) (DSPy)"),
)


class RunExtras(QGroupBox):
    """User tools (a .py file or a folder; read here, run only in the sandbox) and the answer protocol."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__("Tools and how the run ends", parent)
        self.tools: list[dict[str, Any]] = []
        self.tools_button = QPushButton("Tools…")
        self.tools_button.setToolTip("A Python file of functions to define in the REPL next to llm_query")
        self.tools_folder_button = QPushButton("Tools folder…")
        self.clear_tools_button = QPushButton("No tools")
        self.tools_label = QLabel("No user tools.")
        self.tools_label.setWordWrap(True)
        self.protocol = QComboBox()
        for key, text in PROTOCOL_CHOICES:
            self.protocol.addItem(text, key)
        buttons = QHBoxLayout()
        buttons.addWidget(self.tools_button)
        buttons.addWidget(self.tools_folder_button)
        buttons.addWidget(self.clear_tools_button)
        buttons.addStretch(1)
        ends = QHBoxLayout()
        ends.addWidget(QLabel("The run ends with"))
        ends.addWidget(self.protocol, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.tools_label)
        layout.addLayout(ends)
        self.tools_button.clicked.connect(self.choose_tools_file)
        self.tools_folder_button.clicked.connect(self.choose_tools_folder)
        self.clear_tools_button.clicked.connect(self.clear_tools)
        self.clear_tools_button.setEnabled(False)

    def choose_tools_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Tools for the REPL", "", "Python files (*.py)")
        if path:
            self.load_tools(Path(path))

    def choose_tools_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "A folder of tool files (*.py)")
        if path:
            self.load_tools(Path(path))

    def load_tools(self, path: Path) -> bool:
        """Read the tools at `path` (never imported here); say what they are, or why they cannot be used."""
        from rlm_studio.engine.tools import ToolsError, load_tools

        try:
            tools = load_tools(path)
        except ToolsError as exc:
            self.tools_label.setText(str(exc))
            self.tools_label.setStyleSheet("color:#c62828")
            return False
        self.tools = tools
        names = [f["signature"] for t in tools for f in t["functions"]]
        self.tools_label.setText(f"{path.name}: " + ", ".join(names))
        self.tools_label.setStyleSheet("")
        self.clear_tools_button.setEnabled(True)
        return True

    def clear_tools(self) -> None:
        self.tools = []
        self.tools_label.setText("No user tools.")
        self.tools_label.setStyleSheet("")
        self.clear_tools_button.setEnabled(False)

    def set_protocol(self, protocol: str) -> None:
        index = self.protocol.findData(protocol)
        if index >= 0:
            self.protocol.setCurrentIndex(index)

    def settings(self) -> dict[str, Any]:
        """The RunSettings fields this part of the panel sets."""
        return {"tools": list(self.tools), "answer_protocol": self.protocol.currentData() or "final"}
