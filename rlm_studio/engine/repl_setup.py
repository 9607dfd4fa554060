"""What a run's REPL gets before the first cell, and again after its worker restarts: the user's
tools and the answer protocol's names (`answer`, `SUBMIT`); and the answer-dict check after a cell."""

from __future__ import annotations

from typing import Any

from .answer_protocols import ANSWER_DICT_PROBE, protocol_prompt, setup_code
from .settings import RunSettings
from .tools import load_error, loader_code, tools_prompt


class ReplSetupError(RuntimeError):
    """The tools or the protocol's names could not be loaded into the worker."""


def full_system_prompt(base: str, settings: RunSettings) -> str:
    """The system prompt with the answer protocol's text and the user's tools."""
    return protocol_prompt(base, settings.answer_protocol) + tools_prompt(settings.tools)


def setup_source(settings: RunSettings) -> str:
    parts = [setup_code(settings.answer_protocol)]
    if settings.tools:
        parts.append(loader_code(settings.tools))
    return "".join(parts)


async def prepare_repl(worker: Any, settings: RunSettings) -> None:
    """Run the setup code in the worker (not shown as a cell); raise ReplSetupError when it fails."""
    source = setup_source(settings)
    if not source:
        return
    result = await worker.execute(source, timeout_s=settings.cell_timeout_s)
    problem = load_error(result)
    if problem:
        what = "the user's tools" if settings.tools else "the answer protocol"
        raise ReplSetupError(f"{what} could not be loaded into the REPL: {problem}")


async def answer_ready(worker: Any, settings: RunSettings) -> dict[str, Any] | None:
    """Under answer-dict: the final answer when the code set answer["ready"] = True, else None."""
    if settings.answer_protocol != "answer-dict":
        return None
    result = await worker.execute(ANSWER_DICT_PROBE, timeout_s=settings.cell_timeout_s)
    if result.final is None:
        return None
    return {**result.final, "source": "answer", "var": "answer", "probe": "answer-dict"}
