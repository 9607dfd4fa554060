"""`rlm-studio app [--db PATH]`: open the desktop app (Qt is imported only when this command runs)."""

from __future__ import annotations

import argparse

from .common import add_db_option


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("app", help="open the desktop app (the default with no command)",
                                   description="Open the RLM Studio desktop app.")
    add_db_option(parser)
    parser.set_defaults(func=run_app)


def run_app(args: argparse.Namespace) -> int:
    from rlm_studio.ui.app import main

    return main(getattr(args, "db", None))
