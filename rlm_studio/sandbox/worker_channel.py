"""Worker side of the two sockets to the app. Stdlib only (runs inside the sandbox).

* control socket: cells, host variables and interrupts arrive here; a reader thread serves it and
  enforces the per-cell time limit by sending SIGUSR1 to the main thread (see cell_runner).
* rpc socket: sub-model requests and their responses. The thread that waits for a response reads
  the socket itself (leader/follower: one reader at a time, handing responses to other waiting
  threads), so a round trip costs no thread hand-off. While the main thread waits, the stop signal
  handler stands aside and the stop arrives through a wake-up pipe, so a frame is never half read.
"""

from __future__ import annotations

import _thread
import itertools
import os
import select
import signal
import threading
import time

from framing import FrameDecoder, encode_frame

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any

INTERRUPT_SIGNAL = signal.SIGUSR1
_RESEND_STOP_EVERY_S = 1.0
_FOLLOWER_POLL_S = 0.05


class CellStopped(BaseException):
    """Raised inside a cell when the host interrupts it or its time limit passes."""


class CellControl:
    """What the main thread is doing, shared with the reader thread."""

    def __init__(self) -> None:
        self.running_cell: int | None = None      # id of the cell being executed, or None
        self.active = False           # True only while user code runs
        self.stop_reason: str | None = None       # "timeout" | "interrupt" once a stop was requested
        self.in_request = False       # main thread is inside request(): the stop comes through the wake-up pipe
        self.deadlines: dict[int, float] = {}     # cell id -> monotonic deadline


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


class _Slot:
    __slots__ = ("waiter", "response")

    def __init__(self) -> None:
        self.waiter = _thread.allocate_lock()
        self.waiter.acquire()
        self.response: dict[str, Any] | None = None


def _wake(slot: _Slot) -> None:
    try:
        slot.waiter.release()
    except RuntimeError:  # already woken
        pass


class WorkerChannel:
    def __init__(self, control_sock: socket.socket, rpc_sock: socket.socket,
                 on_command: Callable[[dict[str, Any]], None]):
        self._control = control_sock
        self._rpc = rpc_sock
        self._on_command = on_command
        self._control_send_lock = threading.Lock()
        self._rpc_send_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._rpc_decoder = FrameDecoder()
        self._pending: dict[int, _Slot] = {}
        self._ids = itertools.count(1)
        self._main_ident: int = threading.main_thread().ident or 0
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)      # reader -> main
        self._arm_read, self._arm_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)        # main -> reader
        self.control = CellControl()
        self._last_signal = 0.0

    # -- control socket ------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Send a message on the control socket (results, acknowledgements)."""
        data = encode_frame(message)
        on_main = _thread.get_ident() == self._main_ident
        if on_main:  # a half-sent frame would corrupt the stream: hold stop signals until it is out
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, (INTERRUPT_SIGNAL,))
        try:
            with self._control_send_lock:
                self._control.sendall(data)
        finally:
            if on_main:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def start_reader(self) -> None:
        thread = threading.Thread(target=self._read_control_forever, name="rlm-control-reader", daemon=True)
        thread.start()

    def drain_wakeups(self) -> None:
        _drain(self._wake_read)

    def cell_started(self, cell_id: int, timeout_s: float | None) -> None:
        """Called by the main thread as a cell starts: the time limit counts from now."""
        control = self.control
        control.stop_reason = None
        _drain(self._wake_read)
        control.deadlines = {cell_id: time.monotonic() + timeout_s} if timeout_s is not None else {}
        control.running_cell = cell_id
        try:
            os.write(self._arm_write, b"!")
        except BlockingIOError:
            pass

    def cell_finished(self) -> None:
        self.control.running_cell = None
        self.control.deadlines = {}

    def _read_control_forever(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, (INTERRUPT_SIGNAL, signal.SIGALRM))
        decoder = FrameDecoder()
        fileno = self._control.fileno()
        arm = self._arm_read
        control = self.control
        while True:
            timeout = self._seconds_to_next_stop()
            ready, _, _ = select.select((fileno, arm), (), (), None if timeout is None else max(timeout, 0.0))
            if arm in ready:
                _drain(arm)
            if fileno not in ready:
                self._enforce_deadline()
                continue
            try:
                data = self._control.recv(1 << 20)
            except OSError:
                data = b""
            if not data:  # the app went away: nothing left to serve
                os._exit(0)
            for message in decoder.feed(data):
                op = message.get("op")
                if op == "interrupt":
                    cell = message.get("cell")
                    if control.running_cell is not None and cell in (None, control.running_cell):
                        self._stop_main("interrupt")
                    continue
                self._on_command(message)

    def _seconds_to_next_stop(self) -> float | None:
        control = self.control
        cell = control.running_cell
        if control.stop_reason is not None and cell is not None:
            return self._last_signal + _RESEND_STOP_EVERY_S - time.monotonic()
        deadline = control.deadlines.get(cell) if cell is not None else None
        return None if deadline is None else deadline - time.monotonic()

    def _enforce_deadline(self) -> None:
        control = self.control
        cell = control.running_cell
        if cell is None:
            return
        if control.stop_reason is not None:
            self._stop_main(control.stop_reason)  # the cell swallowed the first stop: ask again
            return
        deadline = control.deadlines.get(cell)
        if deadline is not None and time.monotonic() >= deadline:
            self._stop_main("timeout")

    def _stop_main(self, reason: str) -> None:
        control = self.control
        if control.stop_reason is None:
            control.stop_reason = reason
        self._last_signal = time.monotonic()
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:
            pass
        signal.pthread_kill(self._main_ident, INTERRUPT_SIGNAL)

    # -- rpc socket ----------------------------------------------------------------------------
    def request(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a request to the app and block until its response arrives; returns the response dict."""
        on_main = _thread.get_ident() == self._main_ident
        if on_main:
            self.control.in_request = True  # the stop signal handler now leaves the stop to _check_stop
        request_id = next(self._ids)
        slot = _Slot()
        self._pending[request_id] = slot
        try:
            message = {"op": "req", "id": request_id, "kind": kind}
            message.update(payload)
            data = encode_frame(message)
            with self._rpc_send_lock:
                self._rpc.sendall(data)
            return self._await(slot, on_main)
        finally:
            self._pending.pop(request_id, None)
            if on_main:
                self.control.in_request = False
                self._check_stop()

    def _check_stop(self) -> None:
        control = self.control
        if control.active and control.stop_reason is not None:
            raise CellStopped(control.stop_reason)

    def _await(self, slot: _Slot, on_main: bool) -> dict[str, Any]:
        while True:
            if slot.response is not None:
                return slot.response
            if on_main:
                self._check_stop()
            if self._read_lock.acquire(False):
                try:
                    self._lead(slot, on_main)
                finally:
                    self._read_lock.release()
                    self._hand_over()
            elif on_main:
                slot.waiter.acquire(True, _FOLLOWER_POLL_S)
            else:
                slot.waiter.acquire()

    def _hand_over(self) -> None:
        """Wake one other waiting thread so it takes over reading."""
        for other in list(self._pending.values()):
            if other.response is None:
                _wake(other)
                return

    def _lead(self, slot: _Slot, on_main: bool) -> None:
        rpc = self._rpc
        fileno = rpc.fileno()
        wake = self._wake_read
        while slot.response is None:
            if on_main:
                ready, _, _ = select.select((fileno, wake), (), ())
                if wake in ready:
                    self.drain_wakeups()
                    self._check_stop()
                if fileno not in ready:
                    continue
            data = rpc.recv(1 << 20)
            if not data:
                os._exit(0)
            for message in self._rpc_decoder.feed(data):
                other = self._pending.get(message.get("id"))
                if other is not None:
                    other.response = message
                    _wake(other)
