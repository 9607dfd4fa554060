"""`rlm-studio`: with no command, the desktop app; otherwise one of the commands below."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .common import CliError
from .unexpected import DEBUG_FLAG, make_output_safe, report_unexpected, silence_stdout

# Each module defines register(subparsers); its handler is imported lazily so --help stays fast.
COMMAND_MODULES = (
    "rlm_studio.cli.cmd_run",
    "rlm_studio.cli.cmd_runs",
    "rlm_studio.cli.cmd_show",
    "rlm_studio.cli.cmd_diff",
    "rlm_studio.cli.cmd_search",
    "rlm_studio.cli.cmd_export",
    "rlm_studio.cli.cmd_import",
    "rlm_studio.cli.cmd_delete",
    "rlm_studio.cli.cmd_replay",
    "rlm_studio.cli.cmd_fork",
    "rlm_studio.cli.cmd_ask",
    "rlm_studio.cli.cmd_bench",
    "rlm_studio.cli.cmd_app",
)


def build_parser() -> argparse.ArgumentParser:
    from rlm_studio import __version__

    parser = argparse.ArgumentParser(
        prog="rlm-studio",
        description="Run, watch, replay and compare Recursive Language Models. "
                    "With no command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"rlm-studio {__version__}")
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="print the full traceback of an unexpected error (also: RLM_STUDIO_DEBUG=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or bool(os.environ.get("RLM_STUDIO_DEBUG"))
    argv = [a for a in argv if a != DEBUG_FLAG]
    make_output_safe()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no command: the desktop app (its options, such as --db, pass through)
        args = parser.parse_args(["app", *argv])
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"rlm-studio {args.command}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("rlm-studio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # e.g. `rlm-studio runs | head`: the reader left, nothing to say
        silence_stdout()
        return 1
    except Exception as exc:
        return report_unexpected(args.command, exc, debug)


if __name__ == "__main__":
    sys.exit(main())
