"""Runs one cell in the persistent namespace: output capture, notebook-style last expression,
tracebacks trimmed to the cell's own frames, stop signals, reserved-name restoration.

Stdlib only (runs inside the sandbox).
"""

import ast
import linecache
import os
import signal
import sys
import time
import traceback

from repl_functions import RESERVED_NAMES, describe_variables
from worker_channel import INTERRUPT_SIGNAL, CellStopped

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))


class CappedStream:
    """A text stream that keeps at most `limit` characters but counts everything written."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, limit):
        self._limit = limit
        self._parts = []
        self._kept = 0
        self.total = 0

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.total += len(text)
        room = self._limit - self._kept
        if room > 0:
            piece = text if len(text) <= room else text[:room]
            self._parts.append(piece)
            self._kept += len(piece)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def value(self):
        return "".join(self._parts)


def _trim(exception_info):
    """Drop the runtime's own frames so the model sees only its code (and library code it called)."""
    exception_info.stack = traceback.StackSummary.from_list(
        [frame for frame in exception_info.stack if not frame.filename.startswith(_RUNTIME_DIR)])
    for chained in (exception_info.__cause__, exception_info.__context__):
        if chained is not None:
            _trim(chained)
    return exception_info


def _describe_error(exc):
    info = _trim(traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True))
    return {"type": type(exc).__name__, "message": str(exc), "traceback": "".join(info.format())}


class CellRunner:
    def __init__(self, namespace, functions, channel, limits):
        self.channel = channel
        control = channel.control
        self.namespace = namespace
        self.functions = functions
        self.control = control
        self.max_output_chars = limits["max_output_chars"]
        self.reserved = {}
        self._cells = 0

    def set_reserved(self, values):
        self.reserved.update(values)
        self.namespace.update(values)

    def _on_stop_signal(self, signum, frame):
        control = self.control
        if control.active and control.stop_reason is not None and not control.in_request:
            raise CellStopped(control.stop_reason)

    def run(self, cell_id, code, timeout_s=None):
        self._cells += 1
        filename = f"<cell {self._cells}>"
        lines = code.splitlines(True)
        linecache.cache[filename] = (len(code), None, lines, filename)
        stdout, stderr = CappedStream(self.max_output_chars), CappedStream(self.max_output_chars)
        saved = sys.stdout, sys.stderr
        control = self.control
        self.functions.final = None
        error = None
        stopped = None
        signal.signal(INTERRUPT_SIGNAL, self._on_stop_signal)  # the cell may have replaced it
        started = time.perf_counter()
        sys.stdout, sys.stderr = stdout, stderr
        self.channel.cell_started(cell_id, timeout_s)
        try:
            try:
                tree = ast.parse(code, filename, "exec")
                last = None
                if tree.body and isinstance(tree.body[-1], ast.Expr):
                    last = ast.Expression(tree.body.pop().value)
                body = compile(tree, filename, "exec")
                shown = compile(last, filename, "eval") if last is not None else None
            except (SyntaxError, ValueError) as exc:  # the cell does not compile: no traceback to show
                body = None
                error = {"type": type(exc).__name__, "message": str(exc),
                         "traceback": "".join(traceback.format_exception_only(type(exc), exc))}
            if body is not None:
                stopped, error = self._execute(body, shown)
        finally:
            control.active = False
            self.channel.cell_finished()
            sys.stdout, sys.stderr = saved
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
            "restored": restored,
        }

    def _execute(self, body, shown):
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

    def _restore_reserved(self):
        restored = []
        namespace = self.namespace
        for name in RESERVED_NAMES:
            original = self.reserved[name]
            if name not in namespace or namespace[name] is not original:
                namespace[name] = original
                restored.append(name)
        return restored
