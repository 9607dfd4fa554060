"""`rlm-studio run` options for user tools and the answer protocol (added to the run command)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from .common import CliError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tools", metavar="PATH", default=None,
                        help="a .py file or a folder of them: their public functions are defined in the REPL "
                             "next to llm_query and listed in the system prompt")
    parser.add_argument("--answer-protocol", choices=("final", "answer-dict", "submit"), default="final",
                        help="how the run ends: FINAL/FINAL_VAR (default), the official package's "
                             "answer['content'] + answer['ready'] = True, or DSPy's SUBMIT(...)")


def apply(args: argparse.Namespace, settings: Any) -> None:
    """Put --tools (read and listed here, never imported) and --answer-protocol into the settings."""
    from rlm_studio.engine.tools import ToolsError, load_tools

    settings.answer_protocol = getattr(args, "answer_protocol", None) or "final"
    if getattr(args, "tools", None):
        try:
            settings.tools = load_tools(args.tools)
        except ToolsError as exc:
            raise CliError(str(exc)) from None


def check_tools(settings: Any) -> None:
    """Load the tools once in a throwaway sandbox worker, so one that fails to import stops here."""
    from rlm_studio.engine.tools import ToolsError
    from rlm_studio.engine.tools import check_tools as check
    from rlm_studio.sandbox import SandboxUnavailable

    if not settings.tools:
        return
    try:
        asyncio.run(check(settings.tools, isolation=settings.isolation, timeout_s=settings.cell_timeout_s))
    except (ToolsError, SandboxUnavailable) as exc:
        raise CliError(str(exc)) from None
