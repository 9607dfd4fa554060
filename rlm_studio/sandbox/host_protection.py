"""Closes the app's own process to a plain-process worker running as the same user.

With PR_SET_DUMPABLE off, /proc/<app pid>/environ, mem, maps and fd become unreadable to other
processes of this user (and to uid 0 without CAP_SYS_PTRACE), and ptrace is refused: model code in
the process fallback cannot read the API keys in the app's environment or memory.
"""

from __future__ import annotations

import ctypes
import sys

_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3


def _prctl(option: int, value: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result: int = libc.prctl(option, value, 0, 0, 0)
    return result


def make_host_undumpable() -> bool:
    """Mark this process non-dumpable; True when it is (Linux), False where prctl is not available."""
    if not sys.platform.startswith("linux"):
        return False
    _prctl(_PR_SET_DUMPABLE, 0)
    return _prctl(_PR_GET_DUMPABLE, 0) == 0
