"""Is the process that was writing a run still alive? (pid on this host + a recent heartbeat)."""

from __future__ import annotations

import os
import socket
import time

STALE_AFTER_S = 15.0   # a live writer refreshes its heartbeat every 2 s


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: it writes nothing any more
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def writer_alive(pid: int | None, host: str | None, heartbeat_at: float | None,
                 now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if heartbeat_at is None or now - heartbeat_at > STALE_AFTER_S:
        return False
    if host == socket.gethostname():
        return pid is not None and pid_alive(pid)
    return True
