"""litellm takes seconds to import: load it once, off the UI thread, never from two threads at once."""

from __future__ import annotations

import asyncio
import sys
import threading

_LOCK = threading.Lock()
MODULE = "rlm_studio.models._litellm"


def loaded() -> bool:
    return MODULE in sys.modules and not _LOCK.locked()


def load_blocking():
    """Import litellm (via the models package) on the calling thread; concurrent callers wait for one import."""
    with _LOCK:
        import importlib

        return importlib.import_module(MODULE).litellm


async def preload() -> None:
    """Make sure litellm is imported, doing the import on a worker thread."""
    if loaded():
        return
    await asyncio.get_running_loop().run_in_executor(None, load_blocking)
