"""Output capture that knows which cell a write belongs to. Stdlib only (runs inside the sandbox).

sys.stdout and sys.stderr are routers for the worker's whole life. A write lands in the running
cell's capture only when it comes from the main thread or from a thread that this cell started
(directly or through threads it started). Anything else - a thread of an earlier cell printing after
its cell ended - is background output: counted, dropped, and reported with the next result, so it is
never shown as another cell's output.
"""

from __future__ import annotations

import _thread
import io
import threading

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

_origins: dict[int, int | None] = {}  # thread ident -> number of the cell whose code started the thread
_state: dict[str, int | None] = {"cell": None}  # the cell running on the main thread, or None
_main_ident = threading.main_thread().ident
_original_start = _thread.start_new_thread


def current_origin() -> int | None:
    """The cell a write or a new thread from the calling thread belongs to (None: no cell)."""
    ident = _thread.get_ident()
    if ident == _main_ident:
        return _state["cell"]
    return _origins.get(ident)


def _start_new_thread(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> int:
    origin = current_origin()

    def run(*call_args: Any, **call_kwargs: Any) -> Any:
        ident = _thread.get_ident()
        _origins[ident] = origin
        try:
            return function(*call_args, **call_kwargs)
        finally:
            _origins.pop(ident, None)

    return _original_start(run, args, kwargs or {})


def install_thread_tracking() -> None:
    """Make every thread remember the cell that started it (threading and _thread both start threads here)."""
    _thread.start_new_thread = _start_new_thread
    _thread.start_new = _start_new_thread
    threading._start_new_thread = _start_new_thread  # type: ignore[attr-defined]


class CappedStream:
    """A text buffer that keeps at most `limit` characters but counts everything written."""

    def __init__(self, limit: int):
        self._limit = limit
        self._parts: list[str] = []
        self._kept = 0
        self.total = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        room = self._limit - self._kept
        if room > 0:
            piece = text if len(text) <= room else text[:room]
            self._parts.append(piece)
            self._kept += len(piece)

    def value(self) -> str:
        return "".join(self._parts)


class RouterStream:
    """A file-like sys.stdout / sys.stderr that routes each write to the cell it belongs to."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, router: OutputRouter):
        self._router = router
        self.capture: tuple[int, CappedStream] | None = None  # (cell number, its capture) while a cell runs

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        capture = self.capture  # one read: a cell ending meanwhile cannot split it
        if capture is not None and current_origin() == capture[0]:
            capture[1].add(text)
        else:
            self._router.count_background(len(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("the REPL's output is captured and has no file descriptor")


class OutputRouter:
    """Owns the two router streams and the count of background output not yet reported."""

    def __init__(self) -> None:
        self.stdout = RouterStream(self)
        self.stderr = RouterStream(self)
        self.background_chars = 0
        self._lock = threading.Lock()

    def count_background(self, chars: int) -> None:
        with self._lock:
            self.background_chars += chars

    def begin(self, cell: int, limit: int) -> tuple[CappedStream, CappedStream]:
        """A cell starts: returns its (stdout, stderr) captures."""
        out, err = CappedStream(limit), CappedStream(limit)
        _state["cell"] = cell
        self.stdout.capture = (cell, out)
        self.stderr.capture = (cell, err)
        return out, err

    def end(self) -> None:
        self.stdout.capture = None
        self.stderr.capture = None
        _state["cell"] = None

    def take_background_chars(self) -> int:
        with self._lock:
            count, self.background_chars = self.background_chars, 0
        return count
