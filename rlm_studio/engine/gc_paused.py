"""Python's cyclic garbage collector paused around a bulk build (a run tree of 100,000 nodes).

Building a large tree allocates millions of container objects that all stay alive: each automatic
collection then walks every one of them for nothing (a third of a 100k-node tree build). Pausing it
for the build and restoring the previous state afterwards leaves nothing to collect that would not
have survived anyway; cycles made meanwhile are collected by the next collection after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Automatic cyclic collection off inside the block; on again after it when it was on before (the
    app keeps it off and collects on its UI thread: nesting and that stay as they are)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
