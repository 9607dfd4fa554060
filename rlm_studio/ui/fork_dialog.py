"""The "Fork from here" dialog: the parent run and iteration, the new run's models and budgets, an edited response."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

NO_LIMIT = "no limit"


def _limit_spin(value: float | None, maximum: int, *, suffix: str = "") -> QSpinBox:
    """A whole-number spin box where 0 shows as "no limit" (None in RunSettings); a fraction is cut off."""
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSpecialValueText(NO_LIMIT)
    if suffix:
        spin.setSuffix(suffix)
    spin.setValue(int(value or 0))
    return spin


def _limit_spin_decimal(value: float | None, maximum: float, *, decimals: int) -> QDoubleSpinBox:
    """A spin box with `decimals` places where 0 shows as "no limit" (None in RunSettings)."""
    spin = QDoubleSpinBox()
    spin.setDecimals(decimals)
    spin.setRange(0, maximum)
    spin.setSpecialValueText(NO_LIMIT)
    spin.setValue(value or 0)
    return spin


class ForkDialog(QDialog):
    """Prefilled with the parent's settings (`settings`, a RunSettings) and the recorded root response of
    iteration `at_iteration`; `settings_kwargs()` and `edited_response()` read what the user chose."""

    # set by the window that opens it (MainWindow.fork_dialog): what the fork continues from
    parent_events: list[Any]
    parent_run_id: str
    at_iteration: int
    parent_title: str

    def __init__(self, parent_title: str, at_iteration: int, settings: Any, recorded_response: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fork from here")
        self.resize(720, 640)
        self.base = settings.to_dict()
        intro = QLabel(f"Fork <b>{html.escape(parent_title)}</b> at iteration <b>{at_iteration}</b>: the new run "
                       f"keeps iterations 1–{at_iteration - 1} as they were recorded (their code runs again with "
                       f"the recorded sub-call answers) and continues from iteration {at_iteration}."
                       if at_iteration > 1 else
                       f"Fork <b>{html.escape(parent_title)}</b> at iteration <b>1</b>: the new run starts "
                       "over with the same question and context.")
        intro.setWordWrap(True)

        self.root_model = QLineEdit(settings.root_model)
        self.sub_model = QLineEdit(settings.sub_model or "")
        self.sub_model.setPlaceholderText("same as the root model")
        self.max_depth = QSpinBox()
        self.max_depth.setRange(0, 5)
        self.max_depth.setValue(settings.max_depth)
        self.max_iterations = QSpinBox()
        self.max_iterations.setRange(1, 1000)
        self.max_iterations.setValue(settings.max_iterations)
        self.max_subcalls = _limit_spin(settings.max_subcalls, 1_000_000)
        self.max_cost = _limit_spin_decimal(settings.max_cost_usd, 10_000, decimals=2)
        self.max_cost.setPrefix("$ ")
        self.max_tokens = _limit_spin(settings.max_tokens, 2_000_000_000)
        self.max_time = _limit_spin(settings.max_wall_s, 86_400, suffix=" s")
        models = QGroupBox("Models and budgets (the parent's settings)")
        form = QFormLayout(models)
        form.addRow("Root model", self.root_model)
        form.addRow("Sub-model", self.sub_model)
        form.addRow("Max depth", self.max_depth)
        form.addRow("Max iterations", self.max_iterations)
        form.addRow("Max sub-calls", self.max_subcalls)
        form.addRow("Max cost", self.max_cost)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("Max time", self.max_time)

        self.edit_response = QCheckBox(f"Edit the root model's response of iteration {at_iteration}")
        self.response = QPlainTextEdit(recorded_response)
        self.response.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.response.setEnabled(False)
        self.edit_response.toggled.connect(self.response.setEnabled)
        hint = QLabel("The edited text is used instead of asking the root model again. Editing a ```repl block "
                      "edits that code cell; the REPL runs what you write.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#666")
        if not recorded_response:
            self.edit_response.setText(f"Write the root model's response of iteration {at_iteration} yourself")
        self.error = QLabel()
        self.error.setStyleSheet("color:#c62828")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run fork")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(models)
        layout.addWidget(self.edit_response)
        layout.addWidget(self.response, 1)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def settings_kwargs(self) -> dict[str, Any]:
        """RunSettings fields for the fork: the parent's, with what the dialog changed."""
        root = self.root_model.text().strip()
        if not root:
            raise ValueError("Choose a root model for the fork.")
        kwargs = dict(self.base)
        kwargs.update(root_model=root, sub_model=self.sub_model.text().strip() or None,
                      max_depth=self.max_depth.value(), max_iterations=self.max_iterations.value(),
                      max_subcalls=self.max_subcalls.value() or None, max_cost_usd=self.max_cost.value() or None,
                      max_tokens=self.max_tokens.value() or None, max_wall_s=float(self.max_time.value()) or None)
        return kwargs

    def edited_response(self) -> str | None:
        """The response to use instead of the recorded one; None keeps asking the model."""
        if not self.edit_response.isChecked():
            return None
        text = self.response.toPlainText()
        if not text.strip():
            raise ValueError("The edited response is empty: write one, or untick “Edit the root model's response”.")
        return text

    def accept(self) -> None:
        try:
            self.settings_kwargs()
            self.edited_response()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
