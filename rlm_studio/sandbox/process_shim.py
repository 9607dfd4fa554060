"""Process-mode parent shim: `python -I -S process_shim.py <worker args...>`.

Stands between the app and the worker so `os.kill(os.getppid(), 9)` from a cell kills this
shim, not the app. Exits with the worker's status (128 + signal number if it was killed).
Stdlib only.
"""

import ctypes
import os
import signal
import sys


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the app
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
