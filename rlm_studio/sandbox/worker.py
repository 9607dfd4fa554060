"""Host side of a sandbox worker: start it, run cells, serve its sub-model requests, restart it when it dies.

One Worker per RLM (the root and each child). The app never runs model code itself and never
unpickles anything from the worker: messages are length-prefixed JSON over an inherited socketpair.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .eager import start_eagerly
from .frame_schema import FrameViolation, check_id, check_request, check_result, check_simple
from .framing import FrameDecoder, FrameError, encode_frame
from .host_protection import make_host_undumpable
from .isolation import plan_launch, resolve_isolation
from .limits import SandboxLimits

Message = dict[str, Any]  # one decoded frame
RequestHandler = Callable[[str, Message], Awaitable[Any]]

START_TIMEOUT_S = 30.0            # to become ready with no context, or a small one
START_TIMEOUT_PER_GB_S = 60.0     # and for each GB of context file it maps and decodes into one str (a loaded
                                  # 2-core machine took 20-80 s for 1 GB)
HARD_KILL_GRACE_S = 2.0     # after a time limit or an interrupt, how long a cell may ignore the stop
STDERR_TAIL_BYTES = 64 * 1024  # the worker's stderr is read as it comes; only its end is kept (for error messages)
MAX_OUTSTANDING_REQUESTS = 256  # sub-calls in flight from one worker (its threads are capped at max_processes)


_SPAWNER: list[concurrent.futures.ThreadPoolExecutor] = []


def _spawner() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that starts workers, off the event loop's: Popen waits until the child has exec'd, which
    on a busy machine took the window's thread 30-55 ms. It lives as long as the app, since bwrap's
    --die-with-parent and the shim's PR_SET_PDEATHSIG fire when the thread that started them ends."""
    if not _SPAWNER:
        _SPAWNER.append(concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlm-sandbox-spawn"))
    return _SPAWNER[0]


class WorkerStartError(RuntimeError):
    """The worker process could not be started."""


def start_timeout_s(context_bytes: int) -> float:
    """How long a worker may take to become ready: a base, plus an allowance per GB of context to decode."""
    return START_TIMEOUT_S + START_TIMEOUT_PER_GB_S * context_bytes / 1e9


@dataclass
class CellResult:
    stdout: str
    stderr: str
    stdout_chars: int
    stderr_chars: int
    error: dict[str, Any] | None
    duration_ms: float
    variables: list[dict[str, Any]]
    final: dict[str, Any] | None
    timed_out: bool = False
    interrupted: bool = False
    crashed: str | None = None
    restored: list[str] = field(default_factory=list)
    background_chars: int = 0                 # printed by threads of earlier cells after those ended: dropped
    protocol_violation: str | None = None     # the worker sent a frame outside the protocol and was restarted
    crashed_before_cell: bool = False         # the worker had died between cells; this cell ran in a fresh one


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "the worker stopped answering"
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    if number:
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hints: dict[int, str] = {signal.SIGKILL: " (out of memory, or killed)", signal.SIGSEGV: " (a crash in native code)",
                                 signal.SIGXCPU: " (CPU time limit reached)", signal.SIGABRT: " (aborted)"}
        hint = hints.get(number, "")
        return f"worker killed by signal {number} {name}{hint}"
    return f"worker exited with code {returncode}"


def _error_message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class _Socket(asyncio.Protocol):
    """One of the two sockets to a worker; hands decoded messages to its _Connection."""

    def __init__(self, connection: _Connection):
        self.connection = connection
        self.decoder = FrameDecoder()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        connection = self.connection
        if connection.protocol_error is not None:
            return
        try:
            messages = self.decoder.feed(data)
        except FrameError as exc:
            connection.violation(str(exc))
            return
        for message in messages:
            connection.on_message(message, self is connection.rpc)
            if connection.protocol_error is not None:
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection.on_lost()


def _factory(side: _Socket) -> Callable[[], _Socket]:
    return lambda: side


class _Connection:
    """One live worker process and its two sockets (control: cells; rpc: sub-model requests)."""

    def __init__(self, owner: Worker):
        loop = asyncio.get_running_loop()
        self.owner = owner
        self.control = _Socket(self)
        self.rpc = _Socket(self)
        self.process: subprocess.Popen[bytes] | None = None
        self.stderr = _StderrTail(loop)
        self.protocol_error: str | None = None
        self.ready: asyncio.Future[Message | None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.waiters: dict[tuple[str, int], asyncio.Future[Message | None]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def violation(self, problem: str) -> None:
        """The worker sent something outside the protocol: believe nothing more from it and stop it."""
        if self.protocol_error is None:
            self.protocol_error = problem
        self.kill()

    def on_message(self, message: Any, from_rpc: bool) -> None:
        """Check a frame against the protocol (frame_schema) before acting on it; never raises."""
        try:
            self._dispatch(message, from_rpc)
        except FrameViolation as exc:
            self.violation(str(exc))
        except Exception as exc:  # a check this file missed must still not become an exception in the event loop
            self.violation(f"a frame the app could not handle ({type(exc).__name__}: {exc})")

    def _dispatch(self, message: Any, from_rpc: bool) -> None:
        if not isinstance(message, dict):
            raise FrameViolation(f"a frame must be a JSON object, got {type(message).__name__}")
        op = message.get("op")
        if from_rpc != (op == "req"):
            raise FrameViolation(f"a {str(op)[:40]!r} frame on the {'rpc' if from_rpc else 'control'} socket")
        if op == "req":
            check_request(message)
            if len(self.tasks) >= MAX_OUTSTANDING_REQUESTS:
                raise FrameViolation(f"more than {MAX_OUTSTANDING_REQUESTS} sub-model requests in flight at once")
            self._start_request(message)
        elif op == "result":
            check_result(message, self.owner._limits.max_output_chars)
            self._answer(("result", message["id"]), message, "a result for a cell that is not running")
        elif op == "set_done":
            check_simple(message)
            self._answer(("set_done", message["id"]), message, "an acknowledgement nobody waits for")
        elif op == "ready":
            check_simple(message)
            if self.ready.done():
                raise FrameViolation("a second 'ready' frame")
            self.ready.set_result(message)
        else:
            raise FrameViolation(f"unknown frame type {str(op)[:40]!r}")

    def _answer(self, key: tuple[str, int], message: Message, unexpected: str) -> None:
        waiter = self.waiters.pop(key, None)
        if waiter is None:
            raise FrameViolation(f"{unexpected} (id {check_id(message)})")
        if not waiter.done():
            waiter.set_result(message)

    def on_lost(self) -> None:
        if self.closed.done():
            return
        self.closed.set_result(None)
        for waiter in self.waiters.values():
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()
        if not self.ready.done():
            self.ready.set_result(None)
        for task in list(self.tasks):
            task.cancel()

    def send(self, message: Message) -> None:
        transport = self.control.transport
        if transport is None or transport.is_closing():
            raise ConnectionError("the worker is not running")
        transport.write(encode_frame(message))

    # -- requests from model code -------------------------------------------------------------
    def _start_request(self, message: Message) -> None:
        task = start_eagerly(self._serve(message))
        if task is not None:
            self.tasks.add(task)

    async def _serve(self, message: Message) -> None:
        request_id = message.pop("id")
        kind = message.pop("kind")
        del message["op"]
        try:
            value = await self.owner._handler(kind, message)
            if kind == "llm_query_batched":
                items = [{"ok": False, "kind": getattr(item, "kind", "unknown"), "message": _error_message(item)}
                         if isinstance(item, BaseException) else {"ok": True, "value": item} for item in value]
                response = {"op": "resp", "id": request_id, "ok": True, "items": items}
            else:
                response = {"op": "resp", "id": request_id, "ok": True, "value": value}
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            response = {"op": "resp", "id": request_id, "ok": False,
                        "kind": getattr(exc, "kind", "unknown"), "message": _error_message(exc)}
        finally:
            self.tasks.discard(asyncio.current_task())
        try:
            data = encode_frame(response)
        except (TypeError, ValueError) as exc:
            data = encode_frame({"op": "resp", "id": request_id, "ok": False, "kind": "internal",
                                 "message": f"the app's answer could not be sent to the REPL: {exc}"})
        transport = self.rpc.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    # -- process ------------------------------------------------------------------------------
    async def stop(self) -> None:
        """End the worker: closing its sockets makes it exit by itself (so bwrap reaps its own
        children); SIGKILL to its process group if it has not gone within a moment."""
        for side in (self.control, self.rpc):
            if side.transport is not None:
                side.transport.abort()
        if await self.wait_exit(timeout=0.5) is None:
            self.kill()
            await self.wait_exit()

    def kill(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for side in (self.control, self.rpc):
            if side.transport is not None:
                side.transport.abort()

    async def wait_exit(self, timeout: float = 2.0) -> int | None:
        process = self.process
        if process is None:
            return None
        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None or time.monotonic() >= deadline:
                return code
            await asyncio.sleep(0.005)

    def stderr_tail(self, limit: int = 2000) -> str:
        return bytes(self.stderr.tail[-limit:]).decode("utf-8", "replace").strip()


class _StderrTail(asyncio.Protocol):
    """The worker's stderr pipe, drained as it comes; only the last STDERR_TAIL_BYTES are kept, so a cell that
    writes gigabytes to fd 2 costs the app neither disk nor memory."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.tail = bytearray()
        self.total_bytes = 0
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.total_bytes += len(data)
        self.tail += data
        if len(self.tail) > 2 * STDERR_TAIL_BYTES:
            del self.tail[:-STDERR_TAIL_BYTES]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the end of the stream (all processes holding it exited), at most `timeout` seconds."""
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except TimeoutError:
            pass

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Worker:
    """A sandboxed REPL process with a persistent namespace (see the module docstring)."""

    isolation: str
    warning: str | None
    restarts: int

    def __init__(self, *, context_path: Path | None, handler: RequestHandler, limits: SandboxLimits,
                 isolation: str, bwrap: str | None, warning: str | None, start_timeout: float | None = None):
        self._context_path = Path(context_path) if context_path is not None else None
        self._context_bytes = self._context_path.stat().st_size if self._context_path is not None else 0
        self._start_timeout = start_timeout if start_timeout is not None else start_timeout_s(self._context_bytes)
        self._handler = handler
        self._limits = limits
        self._bwrap = bwrap
        self.isolation = isolation
        self.warning = warning
        self.restarts = 0
        self._connection: _Connection | None = None
        self._exec_lock = asyncio.Lock()
        self._ids = 0
        self._host_values: dict[str, Any] = {}
        self._closed = False
        self._running_cell: int | None = None
        self._interrupt_requested_at: float | None = None
        self._wake: asyncio.Future[None] | None = None
        self._scratch_dir: str | None = None

    @classmethod
    async def start(cls, *, context_path: Path | None, handler: RequestHandler, limits: SandboxLimits | None = None,
                    isolation: str = "auto", start_timeout: float | None = None) -> Worker:
        """Start a worker; `isolation` is "auto" (bwrap if it works here, else a plain process), "bwrap" or "process".
        `start_timeout`: seconds it may take to become ready (default: start_timeout_s of the context's size)."""
        if context_path is not None and not Path(context_path).is_file():
            raise FileNotFoundError(f"context file {context_path} does not exist")
        limits = (limits or SandboxLimits()).validated()
        mode, bwrap, warning = await asyncio.to_thread(resolve_isolation, isolation)
        worker = cls(context_path=context_path, handler=handler, limits=limits, isolation=mode, bwrap=bwrap,
                     warning=warning, start_timeout=start_timeout)
        try:
            await worker._spawn()
        except BaseException:
            await worker.close()
            raise
        return worker

    def adopt(self, handler: RequestHandler, limits: SandboxLimits) -> None:
        """Serve `handler` from now on, with `limits`' host-side values (the per-cell timeout): a worker started
        ahead of its run (prewarm.py), whose worker-side limits the caller has checked are these."""
        self._handler = handler
        self._limits = limits.validated()

    def kill_now(self) -> None:
        """Kill the worker's processes at once, without the event loop (its loop has gone); close() is the
        ordinary way."""
        self._closed = True
        if self._connection is not None:
            try:
                self._connection.kill()   # the process group first, then the sockets' transports
            except RuntimeError:
                pass   # the loop is closed, so its transports cannot be aborted: the processes are gone anyway
        if self._scratch_dir is not None:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)

    # -- lifecycle ----------------------------------------------------------------------------
    async def _spawn(self) -> None:
        if self.isolation == "process" and self._scratch_dir is None:
            self._scratch_dir = tempfile.mkdtemp(prefix="rlm-sandbox-")
        if self.isolation == "process":
            make_host_undumpable()  # the worker runs as this user: close /proc/<app pid>/environ and mem to it
        plan = plan_launch(self.isolation, context_path=self._context_path, bwrap=self._bwrap,
                           scratch_dir=self._scratch_dir or "/tmp", tmp_size_mb=self._limits.tmp_size_mb)
        control_host, control_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        rpc_host, rpc_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child_fds = (control_child.fileno(), rpc_child.fileno())
        config = {"context_path": plan.context_path, "drop_to_uid": plan.drop_to_uid, "cwd": plan.worker_cwd,
                  "parent_death_signal": plan.parent_death_signal, "limits": self._limits.for_worker()}
        connection = _Connection(self)
        loop = asyncio.get_running_loop()

        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                plan.argv + [str(fd) for fd in child_fds] + [json.dumps(config)],
                pass_fds=child_fds, env=plan.env, cwd=plan.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

        spawned = loop.run_in_executor(_spawner(), popen)
        try:
            process = connection.process = await asyncio.shield(spawned)
        except asyncio.CancelledError:
            with contextlib.suppress(OSError):   # it may have started: end it before giving up
                connection.process = await spawned
                connection.kill()
            control_host.close()
            rpc_host.close()
            raise
        except OSError as exc:
            control_host.close()
            rpc_host.close()
            raise WorkerStartError(f"could not start the sandbox worker: {exc}") from exc
        finally:
            control_child.close()
            rpc_child.close()
        self._connection = connection   # from here close() ends it, even if this start is cancelled
        await loop.connect_read_pipe(lambda: connection.stderr, process.stderr)
        for side, sock in ((connection.control, control_host), (connection.rpc, rpc_host)):
            sock.setblocking(False)
            await loop.create_unix_connection(_factory(side), sock=sock)
        timed_out = False
        try:
            ready = await asyncio.wait_for(asyncio.shield(connection.ready), self._start_timeout)
        except TimeoutError:
            ready, timed_out = None, True
        if ready is None:
            code = await connection.wait_exit(timeout=0.5) if connection.closed.done() else None
            timed_out = timed_out and code is None   # it had not ended by itself: the app stopped it
            connection.kill()
            code = code if code is not None else await connection.wait_exit()
            await connection.stderr.wait_closed(timeout=1.0)
            detail = connection.stderr_tail()
            connection.stderr.close()
            seconds = f"{self._start_timeout:,.0f}" if self._start_timeout >= 10 else f"{self._start_timeout:.3g}"
            how = (f"it did not become ready within {seconds} s{self._loading_note()}, so the app "
                   "stopped it" if timed_out else _describe_exit(code))
            raise WorkerStartError(f"the sandbox worker did not start ({how})" + (f": {detail}" if detail else ""))
        for name, value in self._host_values.items():
            await self._send_value(name, value)

    def _loading_note(self) -> str:
        if self._context_path is None:
            return ""
        size = self._context_bytes
        amount = f"{size / 1e6:,.0f} MB" if size >= 10e6 else f"{size / 1e6:.2g} MB" if size >= 1e4 else f"{size:,} byte"
        return f" while loading a {amount} context"

    async def _restart(self) -> None:
        if self._connection is not None:
            await self._connection.stop()
            self._connection.stderr.close()
        self.restarts += 1
        await self._spawn()

    def _alive(self) -> bool:
        connection = self._connection
        return (connection is not None and not connection.closed.done()
                and connection.process is not None and connection.process.poll() is None)

    async def _crash_reason(self, connection: _Connection) -> tuple[str, str | None]:
        """(how the worker ended, the protocol violation that ended it or None)."""
        code = await connection.wait_exit(timeout=1.0)  # let it report how it died before making sure it is dead
        connection.kill()
        if code is None:
            code = await connection.wait_exit()
        violation = connection.protocol_error
        if violation is not None:
            return f"the worker sent a frame that breaks the protocol ({violation}), so the app stopped it", violation
        return _describe_exit(code), None

    async def close(self) -> None:
        """Kill the worker and everything it started. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        connection = self._connection
        if connection is not None:
            await connection.stop()
            for task in list(connection.tasks):
                task.cancel()
            connection.stderr.close()
        if self._scratch_dir is not None:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)

    # -- cells --------------------------------------------------------------------------------
    async def execute(self, code: str, *, timeout_s: float | None = None) -> CellResult:
        """Run one cell; never raises for problems inside the cell, they are in the CellResult."""
        if not isinstance(code, str):
            raise TypeError(f"code must be str, not {type(code).__name__}")
        if self._closed:
            raise RuntimeError("this worker was closed")
        timeout = float(timeout_s if timeout_s is not None else self._limits.cell_timeout_s)
        if timeout <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        async with self._exec_lock:
            earlier_crash, violation = None, None
            if not self._alive():
                earlier_crash, violation = await self._crash_reason(self._current())
                await self._restart()
            result = await self._run_cell(code, timeout)
            if earlier_crash and result.crashed is None:
                result.crashed = (f"{earlier_crash} between cells; it was restarted before this cell "
                                  "and variables from earlier cells are lost")
                result.crashed_before_cell = True
                result.protocol_violation = violation
            return result

    def _current(self) -> _Connection:
        """The worker's connection (there is one from the first start on)."""
        if self._connection is None:
            raise RuntimeError("the worker was never started")
        return self._connection

    async def _run_cell(self, code: str, timeout: float) -> CellResult:
        loop = asyncio.get_running_loop()
        connection = self._current()
        self._ids += 1
        cell_id = self._ids
        done: asyncio.Future[Message | None] = loop.create_future()
        connection.waiters[("result", cell_id)] = done
        started = time.perf_counter()
        self._running_cell = cell_id
        self._interrupt_requested_at = None
        try:
            try:
                connection.send({"op": "exec", "id": cell_id, "code": code, "timeout": timeout})
            except ConnectionError:  # it died just now: report it like any crash during the cell
                done.set_result(None)
            hard_deadline = loop.time() + timeout + HARD_KILL_GRACE_S
            while not done.done():
                deadline = hard_deadline
                if self._interrupt_requested_at is not None:
                    deadline = min(deadline, self._interrupt_requested_at + HARD_KILL_GRACE_S)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._wake = loop.create_future()
                await asyncio.wait((done, self._wake), timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._send_interrupt(cell_id)
            raise
        finally:
            self._running_cell = None
            self._wake = None
        interrupted = self._interrupt_requested_at is not None
        message = done.result() if done.done() else None
        if message is not None:
            return self._result_from(message)
        duration_ms = (time.perf_counter() - started) * 1000.0
        violation = None
        if done.done():  # the connection closed: the worker died during the cell
            reason, violation = await self._crash_reason(connection)
            if interrupted:
                reason = f"{reason} while being interrupted"
        else:
            connection.waiters.pop(("result", cell_id), None)
            if interrupted:
                reason = "the cell ignored the interrupt, so the worker was killed"
            else:
                reason = f"the cell ignored its {timeout:g} s time limit, so the worker was killed"
        await self._restart()
        return CellResult(
            stdout="", stderr="", stdout_chars=0, stderr_chars=0,
            error={"type": "WorkerCrashed", "message": f"{reason}; it was restarted and variables are lost",
                   "traceback": ""},
            duration_ms=duration_ms, variables=[], final=None,
            timed_out=not done.done() and not interrupted, interrupted=interrupted,
            crashed=f"{reason}; it was restarted and variables are lost", protocol_violation=violation)

    @staticmethod
    def _result_from(message: Message) -> CellResult:
        """A result frame that passed frame_schema.check_result."""
        return CellResult(
            stdout=message["stdout"], stderr=message["stderr"],
            stdout_chars=message["stdout_chars"], stderr_chars=message["stderr_chars"],
            error=message["error"], duration_ms=float(message["duration_ms"]),
            variables=message["variables"], final=message["final"],
            timed_out=message["timed_out"], interrupted=message["interrupted"],
            restored=message["restored"], background_chars=message.get("background_chars", 0))

    def _send_interrupt(self, cell_id: int | None) -> None:
        if self._alive():
            try:
                self._current().send({"op": "interrupt", "cell": cell_id})
            except ConnectionError:
                pass

    async def interrupt(self) -> None:
        """Stop the running cell now (it returns with interrupted=True). Does nothing when no cell runs."""
        cell_id = self._running_cell
        if cell_id is None:
            return
        if self._interrupt_requested_at is None:
            self._interrupt_requested_at = asyncio.get_running_loop().time()
        self._send_interrupt(cell_id)
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    # -- host-owned variables -----------------------------------------------------------------
    async def set_variable(self, name: str, value: Any) -> None:
        """Set a variable in the REPL (a JSON-able value, e.g. `history`); it is set again after a restart.

        It waits for a running cell to finish, so do not await it from this worker's own request handler."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{name!r} is not a valid Python variable name")
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the value for {name!r} must be JSON-able (text, numbers, lists, dicts): {exc}") from None
        async with self._exec_lock:
            if not self._alive():
                await self._restart()
            await self._send_value(name, value)
            self._host_values[name] = value

    async def _send_value(self, name: str, value: Any) -> None:
        connection = self._current()
        self._ids += 1
        waiter: asyncio.Future[Message | None] = asyncio.get_running_loop().create_future()
        connection.waiters[("set_done", self._ids)] = waiter
        connection.send({"op": "set", "id": self._ids, "name": name, "value": value})
        if await waiter is None:
            raise ConnectionError("the worker stopped while a variable was being set")
