"""Runs one cell in the persistent namespace: output capture, notebook-style last expression,
tracebacks trimmed to the cell's own frames, stop signals, reserved-name restoration.

Stdlib only (runs inside the sandbox).
"""

from __future__ import annotations

import ast
import linecache
import os
import signal
import sys
import time
import traceback

from output_router import OutputRouter, install_thread_tracking
from repl_functions import RESERVED_NAMES, describe_variables
from worker_channel import INTERRUPT_SIGNAL, CellStopped

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from types import CodeType, FrameType
    from typing import Any

    from repl_functions import ReplFunctions
    from worker_channel import WorkerChannel

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
MAX_ERROR_CHARS = 100_000  # an exception's message and traceback as sent to the host (the host checks this bound)


def _cap(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit:,} more characters]"


def _trim(exception_info: traceback.TracebackException) -> traceback.TracebackException:
    """Drop the runtime's own frames so the model sees only its code (and library code it called)."""
    exception_info.stack = traceback.StackSummary.from_list(
        [frame for frame in exception_info.stack if not frame.filename.startswith(_RUNTIME_DIR)])
    for chained in (exception_info.__cause__, exception_info.__context__):
        if chained is not None:
            _trim(chained)
    return exception_info


def _describe_error(exc: BaseException) -> dict[str, Any]:
    info = _trim(traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True))
    try:
        message = str(exc)
    except Exception as failure:  # an exception whose __str__ fails must not end the worker
        message = f"<str() of the exception failed: {type(failure).__name__}>"
    try:
        text = "".join(info.format())
    except Exception as failure:
        text = f"{type(exc).__name__}: <the traceback could not be formatted: {type(failure).__name__}>"
    return {"type": _cap(type(exc).__name__, 200), "message": _cap(message), "traceback": _cap(text)}


class CellRunner:
    def __init__(self, namespace: dict[str, Any], functions: ReplFunctions, channel: WorkerChannel,
                 limits: dict[str, int]):
        self.channel = channel
        control = channel.control
        self.namespace = namespace
        self.functions = functions
        self.control = control
        self.max_output_chars = limits["max_output_chars"]
        self.reserved: dict[str, Any] = {}
        self._cells = 0
        self.output = OutputRouter()
        install_thread_tracking()
        sys.stdout, sys.stderr = self.output.stdout, self.output.stderr

    def set_reserved(self, values: dict[str, Any]) -> None:
        self.reserved.update(values)
        self.namespace.update(values)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        control = self.control
        if control.active and control.stop_reason is not None and not control.in_request:
            raise CellStopped(control.stop_reason)

    def run(self, cell_id: int, code: str, timeout_s: float | None = None) -> dict[str, Any]:
        self._cells += 1
        filename = f"<cell {self._cells}>"
        lines = code.splitlines(True)
        linecache.cache[filename] = (len(code), None, lines, filename)
        output = self.output
        control = self.control
        self.functions.final = None
        error: dict[str, Any] | None = None
        stopped: str | None = None
        signal.signal(INTERRUPT_SIGNAL, self._on_stop_signal)  # the cell may have replaced it
        started = time.perf_counter()
        stdout, stderr = output.begin(cell_id, self.max_output_chars)
        sys.stdout, sys.stderr = output.stdout, output.stderr
        self.channel.cell_started(cell_id, timeout_s)
        try:
            try:
                tree = ast.parse(code, filename, "exec")
                last: ast.Expression | None = None
                tail = tree.body[-1] if tree.body else None
                if isinstance(tail, ast.Expr):
                    tree.body.pop()
                    last = ast.Expression(tail.value)
                body: CodeType | None = compile(tree, filename, "exec")
                shown = compile(last, filename, "eval") if last is not None else None
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:  # does not compile: no traceback
                body = None
                error = {"type": type(exc).__name__, "message": _cap(str(exc)),
                         "traceback": _cap("".join(traceback.format_exception_only(type(exc), exc)))}
            if body is not None:
                stopped, error = self._execute(body, shown)
        finally:
            control.active = False
            self.channel.cell_finished()
            output.end()
            sys.stdout, sys.stderr = output.stdout, output.stderr  # also if the cell replaced them
        duration_ms = (time.perf_counter() - started) * 1000.0
        restored = self._restore_reserved()
        return {
            "op": "result", "id": cell_id,
            "stdout": stdout.value(), "stderr": stderr.value(),
            "stdout_chars": stdout.total, "stderr_chars": stderr.total,
            "error": error, "duration_ms": duration_ms,
            "variables": describe_variables(self.namespace),
            "final": self.functions.final,
            "timed_out": stopped == "timeout", "interrupted": stopped == "interrupt",
            "restored": restored, "background_chars": output.take_background_chars(),
        }

    def _execute(self, body: CodeType, shown: CodeType | None) -> tuple[str | None, dict[str, Any] | None]:
        """Run compiled cell code; returns (stop reason or None, error dict or None)."""
        control = self.control
        try:
            control.active = True
            exec(body, self.namespace)
            if shown is not None:
                value = eval(shown, self.namespace)
                if value is not None:
                    print(repr(value))
            control.active = False
            return None, None
        except CellStopped as exc:
            control.active = False
            stopped = exc.args[0] if exc.args else "interrupt"
            error = _describe_error(exc)
            error["type"] = "TimeoutError" if stopped == "timeout" else "KeyboardInterrupt"
            error["message"] = ("the cell ran past its time limit and was stopped" if stopped == "timeout"
                                else "the cell was interrupted")
            stack = error["traceback"].rstrip("\n").rsplit("\n", 1)[0]
            error["traceback"] = f"{stack}\n{error['type']}: {error['message']}\n"
            return stopped, error
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from model code end the cell, not the worker
            control.active = False
            return None, _describe_error(exc)

    def _restore_reserved(self) -> list[str]:
        restored: list[str] = []
        namespace = self.namespace
        for name in RESERVED_NAMES:
            original = self.reserved[name]
            if name not in namespace or namespace[name] is not original:
                namespace[name] = original
                restored.append(name)
        return restored
