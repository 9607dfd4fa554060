"""Work around a PySide6 6.12.0 refcount bug on Python 3.11: it hands out None, True and False without
a new reference (as if they were immortal, which they are only from Python 3.12): SignalInstance.emit()
and .disconnect() return a bool, void methods such as QLabel.setText() return None, and None returned
by a Python data() override loses a reference. Each call drops the singleton's refcount by one; after a
few thousand (a live run makes many) CPython aborts with "bool_dealloc"/"none_dealloc".

We do what Python 3.12 does: give these singletons a huge refcount, once, only when the bug is present.
"""

from __future__ import annotations

import ctypes
import sys

_IMMORTAL_REFS = 1 << 40
_done = False


def singletons_leak() -> bool:
    """True when PySide6 drops references of True (signal emit) or None (a void method): the 6.12.0 bug."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(8):
        probe.ping.emit()
        probe.setObjectName("probe")
    return sys.getrefcount(True) < true_before or sys.getrefcount(None) < none_before


def protect_bools() -> bool:
    """Make True/False immortal if this PySide6 leaks their references; returns whether it did."""
    global _done
    if _done:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # immortal already
    if not singletons_leak():
        return False
    for value in (None, True, False, Ellipsis, NotImplemented):
        refcount = ctypes.c_ssize_t.from_address(id(value))  # ob_refcnt is the first field of every object
        refcount.value += _IMMORTAL_REFS
    _done = True
    return True
