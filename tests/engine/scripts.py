"""Helpers that write script:PATH model files and run a session with them, collecting its events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from tests.support.scripts import repl, script

__all__ = ["kinds", "repl", "run_session", "script"]


def run_session(question: str, context: Any, settings: RunSettings, *,
                cancel_on: Callable[[Any], bool] | None = None):
    """Run to the end; with `cancel_on`, cancel as soon as an event it accepts is emitted (no timers)."""
    events: list = []

    async def go():
        session = RlmSession(question, context, settings, sinks=[events.append])
        if cancel_on is not None:
            loop = asyncio.get_running_loop()

            def watch(event: Any) -> None:
                if cancel_on(event):
                    loop.call_soon(session.cancel)

            session.add_sink(watch)
        return await session.run()

    result = asyncio.run(go())
    return result, events


def kinds(events: list, kind: str) -> list:
    return [e for e in events if e.kind == kind]
