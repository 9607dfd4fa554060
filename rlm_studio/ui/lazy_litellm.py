"""litellm takes seconds to import: load it once, off the UI thread, never from two threads at once."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

_LOCK = threading.Lock()
MODULE = "rlm_studio.models._litellm"


def loaded() -> bool:
    return MODULE in sys.modules and not _LOCK.locked()


_warmed = False


def load_blocking() -> Any:
    """Import litellm (via the models package) on the calling thread; concurrent callers wait for one import.

    Also loads the tokenizer litellm counts with, which otherwise happens on the first model call, on
    the UI thread (about half a second)."""
    global _warmed
    with _LOCK:
        import importlib

        litellm = importlib.import_module(MODULE).litellm
        if not _warmed:
            _warmed = True
            try:
                litellm.token_counter(model="gpt-4o-mini", messages=[{"role": "user", "content": "warm up"}])
            except Exception:
                pass
            try:  # the OpenAI SDK imports its chat resources on the first call; nothing is sent here
                import openai

                client = openai.AsyncOpenAI(api_key="warm-up", base_url="http://127.0.0.1:9/v1")
                client.chat.completions  # noqa: B018
            except Exception:
                pass
        return litellm


def preload_in_background() -> None:
    """Start loading litellm on a daemon thread (for when the chosen model will need it)."""
    if not loaded():
        threading.Thread(target=load_blocking, daemon=True, name="rlm-studio-litellm").start()


async def preload() -> None:
    """Make sure litellm is imported, doing the import on a worker thread."""
    if loaded():
        return
    await asyncio.get_running_loop().run_in_executor(None, load_blocking)
