"""Process-mode parent shim: `python -I -S process_shim.py <worker args...>`.

Stands between the app and the worker so `os.kill(os.getppid(), 9)` from a cell kills this
shim, not the app. Exits with the worker's status (128 + signal number if it was killed).
Stdlib only.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_SYS_CAPSET = 126  # x86_64; other architectures fall back to the bounding set alone


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """As root, give up every capability for good (this shim and the worker it starts): without
    CAP_SYS_PTRACE and CAP_DAC_* the worker cannot read the non-dumpable app's /proc files or other
    users' private files. The uid stays 0, so root's own files stay readable (the warning says so)."""
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # execve can no longer grant them back
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if os.uname().machine == "x86_64":
        header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
        data = (_CapData * 2)()
        libc.syscall(_SYS_CAPSET, ctypes.byref(header), data)


def main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the app
    if os.geteuid() == 0:
        _drop_capabilities(libc)
    worker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_main.py")
    pid = os.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-I", "-S", worker, *sys.argv[1:]])
    os.closerange(3, 1 << 16)  # hold no copy of the worker's socket: the app must see EOF when the worker dies
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
