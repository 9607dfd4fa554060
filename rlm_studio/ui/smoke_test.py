"""`rlm-studio --smoke-test [--db PATH]`: open the main window, print what a first start shows as one JSON
line, and quit. Packaging checks run it on the frozen app (offscreen); it waits on conditions, not time."""

from __future__ import annotations

import argparse
import json
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rlm-studio --smoke-test")
    parser.add_argument("--db", default=None)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the window to be ready")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer

    from .app import build_window

    app, window = build_window(args.db)
    status = getattr(window, "sandbox_status", None)

    def ready() -> bool:
        return window.isVisible() and window.store_ready and (status is None or status.checked)

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    deadline = time.monotonic() + args.timeout
    poll.timeout.connect(lambda: loop.quit() if ready() or time.monotonic() > deadline else None)
    poll.start()
    if not ready():
        loop.exec()
    poll.stop()
    example = window.new_run.example
    report = {
        "ready": ready(),
        "title": window.windowTitle(),
        "visible": window.isVisible(),
        "db_path": str(window.store.path) if window.store is not None else None,
        "store_problem": window.store_problem,
        "sandbox": status.text() if status is not None else None,
        "sandbox_warning": status.warning if status is not None else None,
        "example": str(example[0]) if example is not None else None,
        "example_offered": window.new_run.example_button.isVisibleTo(window),
    }
    print(json.dumps(report), flush=True)
    window.close()
    if window.store is not None:
        window.store.close()
    app.quit()
    return 0 if report["ready"] else 1
