"""Shared helpers for the UI tests: scripted model files, a qasync loop, waiting for coroutines."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.support import scripts as support_scripts


def repl(code: str, text: str = "Let me look.") -> str:
    return support_scripts.repl(code, text)


def write_script(folder: Path, name: str, **content: Any) -> str:
    return support_scripts.script(folder, name, **content)


def run_coro(loop: asyncio.AbstractEventLoop, coro, timeout: float = 30.0):
    """Run a coroutine on the qasync loop (which spins the Qt event loop meanwhile)."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


def sales_scripts(folder: Path, *, parts: int = 6, delay_ms: int = 0) -> tuple[str, str]:
    """Root: split the context, ask the sub-model about each line in one batch, answer with FINAL_VAR."""
    sub = write_script(folder, "sub", rules=[{"match": f"Region {i}:", "content": str(i + 1),
                                              "delay_ms": delay_ms} for i in range(parts)], default="0")
    root = write_script(folder, "root", responses=[
        repl("parts = context.strip().split('\\n')\n"
             "counts = llm_query_batched([f'How many sales? {p}' for p in parts])\n"
             "total = sum(int(c) for c in counts)\nprint('total', total)"),
        repl("answer = f'{total} sales'\nFINAL_VAR('answer')", "Done."),
    ])
    return root, sub


def sales_document(folder: Path, parts: int = 6) -> Path:
    path = folder / "sales.txt"
    path.write_text("\n".join(f"Region {i}: " + " ".join(["sale"] * (i + 1)) for i in range(parts)) + "\n",
                    encoding="utf-8")
    return path


def wait_on_loop(loop: asyncio.AbstractEventLoop, predicate, timeout: float = 10.0) -> None:
    """Run the qasync loop until `predicate()` holds (asyncSlot tasks need the loop running)."""
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)
    run_coro(loop, poll(), timeout)


class Heartbeat:
    """A 10 ms QTimer that records the gaps between its ticks: a long gap is a stalled UI thread."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.timeout.connect(self._beat)
        self._timer.start(interval_ms)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.gaps


def run_sales(window, qloop, folder: Path):
    """Paste the sales document, ask the sales question with the sales scripts, run it; the result."""
    panel = window.new_run
    panel.add_pasted(sales_document(folder).read_text())
    root, sub = sales_scripts(folder)
    panel.question.setPlainText("How many sales?")
    panel.root_model.set_spec(root)
    panel.sub_model.set_spec(sub)
    return run_coro(qloop, window.run_once(), timeout=60)
