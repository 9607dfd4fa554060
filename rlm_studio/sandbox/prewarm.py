"""A sandbox worker started for a context file before its run asks for one, so Run finds `context` decoded.

A 1 GB context takes the worker about half a second of CPU to map and decode into one str (mostly the kernel
handing it 1 GB of fresh pages), and many times that on a machine whose cores are busy. The app starts that
worker as soon as such a document is loaded (`prewarm`); the run that maps the same file with the same
worker-side limits and isolation takes it (`take`), and any other run starts its own as before. At most one
worker is held: a new prewarm, or `discard`, closes the one before. A prewarmed worker serves no sub-model
requests until a run takes it, and a failed prewarm is silent (the run's own start reports the problem).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .limits import SandboxLimits
from .worker import RequestHandler, Worker

Key = tuple[str, str, tuple[tuple[str, int], ...]]


@dataclass
class _Held:
    key: Key
    task: asyncio.Task[Worker]


_held: list[_Held] = []


def _key(path: Path, limits: SandboxLimits, isolation: str) -> Key:
    """What a worker fixes when it starts: its context file, isolation and the limits it sets on itself (the
    per-cell timeout is the host's, so a run may change it)."""
    fixed = {**limits.for_worker(), "tmp_size_mb": int(limits.tmp_size_mb)}
    return os.path.realpath(path), isolation, tuple(sorted(fixed.items()))


async def _not_yet(kind: str, message: dict[str, Any]) -> Any:
    raise RuntimeError("this REPL has not been given to a run yet")


def prewarm(path: Path, limits: SandboxLimits, isolation: str = "auto") -> None:
    """Start a worker on this context file in the background (needs a running event loop); closes a worker
    held for anything else. Does nothing if one for the same file and limits is already held."""
    key = _key(path, limits, isolation)
    if any(held.key == key and not held.task.cancelled() for held in _held):
        return
    discard()
    task = asyncio.ensure_future(Worker.start(context_path=Path(path), handler=_not_yet, limits=limits,
                                              isolation=isolation))
    task.add_done_callback(_quiet)
    _held.append(_Held(key, task))


async def take(path: Path, limits: SandboxLimits, isolation: str, handler: RequestHandler) -> Worker | None:
    """The prewarmed worker for this file, limits and isolation (waiting for it to become ready if it is still
    starting), now serving `handler`; None when there is none, or it failed to start."""
    key = _key(path, limits, isolation)
    found = next((held for held in _held if held.key == key), None)
    if found is None or found.task.get_loop() is not asyncio.get_running_loop():
        if any(held.key[0] == key[0] for held in _held):
            discard()   # started for this file with other settings: not to be held beside the run's own
        return None
    _held.remove(found)
    try:
        worker = await found.task   # a cancelled run cancels the start too, which closes what it had started
    except Exception:
        return None
    if not worker._alive():   # it ended while it waited (killed, out of memory): the run starts its own
        await worker.close()
        return None
    worker.adopt(handler, limits)
    return worker


def held() -> int:
    """How many prewarmed workers are held (started or starting): 0 or 1."""
    return len(_held)


def discard() -> None:
    """Close the prewarmed worker, if any (the document was removed or replaced, or the app is closing)."""
    while _held:
        task = _held.pop().task
        if not task.done():
            if not task.get_loop().is_closed():
                task.cancel()   # Worker.start closes what it had started
        elif not task.cancelled() and task.exception() is None:
            worker, loop = task.result(), task.get_loop()
            if loop.is_running():
                loop.create_task(worker.close()).add_done_callback(_quiet)
            else:
                worker.kill_now()   # no loop to close it on (the app is closing): end its processes now


def _quiet(task: asyncio.Future[Any]) -> None:
    """Retrieve the outcome so a failed start or close is not logged as never retrieved."""
    if not task.cancelled():
        task.exception()
