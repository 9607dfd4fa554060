"""Start the desktop app: one QApplication, the qasync loop, the main window."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow


def _qt_environment() -> None:
    os.environ.setdefault("QT_API", "PySide6")  # qasync picks its Qt binding from this


def build_window(db_path: str | None = None) -> tuple[QApplication, MainWindow]:
    """Create the QApplication (if needed) and the main window, shown."""
    _qt_environment()
    from PySide6.QtWidgets import QApplication

    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))  # this app's is a QApplication
    app.setApplicationName("RLM Studio")
    app.setDesktopFileName("io.github.rlm_studio.RlmStudio")  # matches the installed .desktop entry (packaging/)
    icon = Path(__file__).resolve().parent.parent.parent / "resources" / "icons" / "rlm-studio.svg"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    app.setQuitOnLastWindowClosed(False)
    from .ui_thread_gc import collect_on_ui_thread

    collect_on_ui_thread(app)  # garbage collection never frees Qt objects from a worker thread
    from .main_window import MainWindow

    window = MainWindow(db_path)
    from .sandbox_status import attach_sandbox_status

    attach_sandbox_status(window)
    window.show()
    return app, window


def main(db_path: str | None = None) -> int:
    _qt_environment()
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication(sys.argv[:1])
    import qasync

    async def run() -> None:
        app, window = build_window(db_path)
        closed = asyncio.get_running_loop().create_future()

        def close() -> None:
            if not closed.done():
                closed.set_result(None)

        app.lastWindowClosed.connect(close)
        await closed

    qasync.run(run())
    return 0
