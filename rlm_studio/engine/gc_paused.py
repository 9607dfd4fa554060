"""Python's cyclic garbage collector paused around a bulk build (a run tree of 100,000 nodes).

Building a large tree allocates millions of container objects that all stay alive: each automatic
collection then walks every one of them for nothing (a third of a 100k-node tree build). Pausing it
for the build and restoring the previous state afterwards leaves nothing to collect that would not
have survived anyway; cycles made meanwhile are collected by the next collection after it.

The app collects on its UI thread with automatic collection off (ui/ui_thread_gc.py): it reads
`bulk_builds()` to hold off while a build runs on another thread, and to freeze what a build made."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0     # builds going on now, in any thread
_finished = 0   # builds finished so far


def bulk_builds() -> tuple[int, int]:
    """(builds going on now, builds finished so far), over all threads."""
    return _active, _finished


@contextmanager
def gc_paused() -> Iterator[None]:
    """Automatic cyclic collection off inside the block; on again after it when it was on before (the
    app keeps it off and collects on its UI thread: nesting and that stay as they are)."""
    global _active, _finished
    was_enabled = gc.isenabled()
    gc.disable()
    with _lock:
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            _finished += 1
        if was_enabled:
            gc.enable()
