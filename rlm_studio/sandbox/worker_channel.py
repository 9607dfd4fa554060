"""Worker side of the socket: one reader thread, thread-safe sends, and request/response by id.

Stdlib only (runs inside the sandbox). The reader thread also enforces the per-cell time
limit and host interrupts, by sending SIGUSR1 to the main thread (see cell_control).
"""

import _thread
import itertools
import os
import select
import signal
import threading
import time

from framing import FrameDecoder, encode_frame

INTERRUPT_SIGNAL = signal.SIGUSR1
_RESEND_INTERRUPT_EVERY_S = 1.0


class CellControl:
    """What the main thread is doing, shared with the reader thread."""

    def __init__(self):
        self.running_cell = None      # id of the cell being executed, or None
        self.active = False           # True only while user code runs
        self.stop_reason = None       # "timeout" | "interrupt" once a stop was requested
        self.deadlines = {}           # cell id -> monotonic deadline


class WorkerChannel:
    def __init__(self, sock, on_command):
        self._sock = sock
        self._on_command = on_command
        self._send_lock = threading.Lock()
        self._pending = {}
        self._ids = itertools.count(1)
        self._main_ident = threading.main_thread().ident
        self.control = CellControl()
        self._last_signal = 0.0

    # -- sending --------------------------------------------------------------------------
    def send(self, message) -> None:
        data = encode_frame(message)
        on_main = _thread.get_ident() == self._main_ident
        if on_main:  # a half-sent frame would corrupt the stream: hold stop signals until it is out
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, (INTERRUPT_SIGNAL,))
        try:
            with self._send_lock:
                self._sock.sendall(data)
        finally:
            if on_main:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def request(self, kind, payload):
        """Send a request to the host and block until its response arrives; returns the response dict."""
        request_id = next(self._ids)
        waiter = _thread.allocate_lock()
        waiter.acquire()
        slot = [waiter, None]
        self._pending[request_id] = slot
        try:
            message = {"op": "req", "id": request_id, "kind": kind}
            message.update(payload)
            self.send(message)
            waiter.acquire()
        finally:
            self._pending.pop(request_id, None)
        return slot[1]

    # -- receiving ------------------------------------------------------------------------
    def start_reader(self) -> None:
        thread = threading.Thread(target=self._read_forever, name="rlm-host-reader", daemon=True)
        thread.start()

    def _read_forever(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, (INTERRUPT_SIGNAL, signal.SIGALRM))
        decoder = FrameDecoder()
        sock = self._sock
        fileno = sock.fileno()
        control = self.control
        while True:
            timeout = self._seconds_to_next_stop()
            if timeout is not None:
                ready, _, _ = select.select((fileno,), (), (), max(timeout, 0.0))
                if not ready:
                    self._enforce_deadline()
                    continue
            try:
                data = sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:  # the host went away: nothing left to serve
                os._exit(0)
            for message in decoder.feed(data):
                op = message.get("op")
                if op == "resp":
                    slot = self._pending.get(message.get("id"))
                    if slot is not None:
                        slot[1] = message
                        slot[0].release()
                elif op == "interrupt":
                    cell = message.get("cell")
                    if control.running_cell is not None and cell in (None, control.running_cell):
                        self._stop_main("interrupt")
                else:
                    if op == "exec":
                        timeout_s = message.get("timeout")
                        if timeout_s is not None:
                            control.deadlines[message.get("id")] = time.monotonic() + float(timeout_s)
                    self._on_command(message)

    def _seconds_to_next_stop(self):
        control = self.control
        cell = control.running_cell
        if control.stop_reason is not None and cell is not None:
            return self._last_signal + _RESEND_INTERRUPT_EVERY_S - time.monotonic()
        deadline = control.deadlines.get(cell) if cell is not None else None
        if deadline is None:
            # the cell may not have started yet: wake up soon to pick its deadline up
            return 0.05 if control.deadlines else None
        return deadline - time.monotonic()

    def _enforce_deadline(self) -> None:
        control = self.control
        cell = control.running_cell
        if cell is None:
            return
        if control.stop_reason is not None:
            self._stop_main(control.stop_reason)  # the cell swallowed the first one: ask again
            return
        deadline = control.deadlines.get(cell)
        if deadline is not None and time.monotonic() >= deadline:
            self._stop_main("timeout")

    def _stop_main(self, reason) -> None:
        control = self.control
        if control.stop_reason is None:
            control.stop_reason = reason
        self._last_signal = time.monotonic()
        signal.pthread_kill(self._main_ident, INTERRUPT_SIGNAL)
