"""Sandbox worker entry point: `python -I -S worker_main.py <control fd> <rpc fd> <config json>`.

Drops privileges and sets resource limits before anything else, loads the context from its
file, then serves the host: "exec" runs a cell, "set" sets a host-owned variable. Stdlib only.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import signal
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from typing import Any

_MB = 1024 * 1024


def _set_parent_death_signal() -> None:
    """Process mode: die with the shim (and the shim dies with the app)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _drop_privileges(uid: int) -> None:
    """As root without a user namespace, RLIMIT_NPROC is not enforced: become an unprivileged private uid."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _apply_limits(limits: dict[str, int]) -> None:
    def cap(kind: int, value: int) -> None:
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_AS, limits["memory_mb"] * _MB)
    cap(resource.RLIMIT_CPU, limits["cpu_seconds"])
    cap(resource.RLIMIT_NPROC, limits["max_processes"])
    cap(resource.RLIMIT_FSIZE, limits["file_size_mb"] * _MB)
    cap(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with an error instead of killing the worker


def _too_large(result: dict[str, Any], reason: str) -> dict[str, Any]:
    """The cell's result without the parts that made it too large to send, and an error that says so."""
    return dict(result, stdout=result["stdout"][:100_000], stderr=result["stderr"][:100_000], variables=[],
                final=None, error={"type": "ResultTooLarge", "traceback": "",
                                   "message": f"the cell's result could not be sent to the app: {reason}"})


def main() -> None:
    control_sock = socket.socket(fileno=int(sys.argv[1]))
    rpc_sock = socket.socket(fileno=int(sys.argv[2]))
    config = json.loads(sys.argv[3])
    for sock in (control_sock, rpc_sock):
        sock.setblocking(True)
    if config.get("parent_death_signal"):
        _set_parent_death_signal()
    context_file = open(config["context_path"], "rb") if config.get("context_path") else None
    if config.get("drop_to_uid") is not None:
        _drop_privileges(config["drop_to_uid"])
    _apply_limits(config["limits"])
    os.chdir(config.get("cwd") or "/tmp")

    from cell_runner import CellRunner
    from context_file import read_context_from_file
    from framing import FrameError
    from repl_functions import ReplFunctions
    from worker_channel import WorkerChannel

    if context_file is not None:
        with context_file:
            context = read_context_from_file(context_file, "the context file")
    else:
        context = ""

    commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    channel = WorkerChannel(control_sock, rpc_sock, commands.put)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    functions = ReplFunctions(channel, namespace)
    runner = CellRunner(namespace, functions, channel, config["limits"])
    runner.set_reserved(functions.build(context, []))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel.start_reader()
    channel.send({"op": "ready", "pid": os.getpid()})

    while True:
        command = commands.get()
        op = command.get("op")
        if op == "exec":
            timeout_s = command.get("timeout")
            result = runner.run(command["id"], command.get("code", ""),
                                float(timeout_s) if timeout_s is not None else None)
            try:
                channel.send(result)
            except FrameError as exc:  # e.g. FINAL() of a 300 MB string: say so instead of dying
                channel.send(_too_large(result, str(exc)))
        elif op == "set":
            name = str(command.get("name"))
            if name in runner.reserved:
                runner.set_reserved({name: command.get("value")})
            else:
                namespace[name] = command.get("value")
            channel.send({"op": "set_done", "id": command.get("id")})


if __name__ == "__main__":
    main()
