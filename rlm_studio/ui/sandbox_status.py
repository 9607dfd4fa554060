"""The sandbox level in the main window's status bar from the first start: bubblewrap, or the process
fallback with its warning (probed once, on a thread, so the window never waits for it)."""

from __future__ import annotations

import html
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

CHECKING = "Sandbox: checking…"
BWRAP_TEXT = "Sandbox: bubblewrap (no network, private filesystem)"
PROCESS_TEXT = "⚠ Sandbox: plain process (not isolated)"


def describe_isolation(requested: str) -> tuple[str, str]:
    """(status-bar text, tooltip) for the sandbox a run would get with `requested` isolation. Blocks on the probe."""
    from rlm_studio.sandbox import SandboxUnavailable, resolve_isolation

    try:
        mode, _bwrap, warning = resolve_isolation(requested)
    except SandboxUnavailable as exc:
        return "⚠ Sandbox: unavailable", f"{exc}. Choose auto or process isolation in Settings > Sandbox."
    except ValueError as exc:
        return "⚠ Sandbox: unknown setting", str(exc)
    if mode == "bwrap":
        return BWRAP_TEXT, "Model-written code runs under bubblewrap: no network, read-only system, private /tmp."
    return PROCESS_TEXT, warning or "Process isolation was chosen in Settings > Sandbox."


class SandboxStatus(QLabel):
    _probed = Signal(str, str)

    def __init__(self, window: QMainWindow, requested: str) -> None:
        super().__init__(CHECKING)
        self.setObjectName("sandboxStatus")
        self.warning: str | None = None
        self._window = window
        self._probed.connect(self._show)
        threading.Thread(target=lambda: self._probed.emit(*describe_isolation(requested)), daemon=True,
                         name="rlm-studio-sandbox-probe").start()

    @property
    def checked(self) -> bool:
        return self.text() != CHECKING

    def _show(self, text: str, tooltip: str) -> None:
        self.setText(text)
        self.setToolTip(tooltip)
        if text != BWRAP_TEXT:
            self.warning = tooltip
            self.setStyleSheet("color: #ef6c00")
            self._window.statusBar().showMessage(html.unescape(tooltip), 60000)


def attach_sandbox_status(window: QObject) -> SandboxStatus:
    """Add the sandbox level to `window`'s status bar (a MainWindow with app_settings)."""
    assert isinstance(window, QMainWindow)
    requested = getattr(getattr(window, "app_settings", None), "isolation", "auto")
    label = SandboxStatus(window, requested)
    window.statusBar().addPermanentWidget(label)
    window.sandbox_status = label  # type: ignore[attr-defined]
    return label
