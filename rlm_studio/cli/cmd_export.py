"""`rlm-studio export RUN`: write a run as our JSONL (lossless) or as an official RLMLogger log."""

from __future__ import annotations

import argparse
import sys

from . import export_otlp
from .common import CliError, add_db_option, open_store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("export", help="export a run (our JSONL, the official log format, or OpenTelemetry spans)",
                              description="Export a run: 'rlm-studio' (lossless, re-importable), 'official' "
                                          "(the RLMLogger format the official RLM visualizer opens), or as "
                                          "OpenTelemetry spans: 'otlp' (sent to a collector) or 'otlp-json' (a file).")
    p.add_argument("run", help="run id (or its first characters)")
    p.add_argument("--format", choices=("rlm-studio", "official", *export_otlp.OTLP_FORMATS), default="rlm-studio",
                   help="otlp: send OpenTelemetry spans to --endpoint; otlp-json: the same spans as an OTLP/JSON file")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    export_otlp.add_arguments(p)
    add_db_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rlm_studio.storage import StorageError

    store = open_store(args)
    try:
        if args.format in export_otlp.OTLP_FORMATS:
            return export_otlp.handle_otlp(args, store)
        if args.output:
            path = store.export_run(args.run, args.output, format=args.format)
            print(f"exported run {store.resolve_run_id(args.run)} to {path}", file=sys.stderr)
        else:
            store.export_run(args.run, None, format=args.format, out=sys.stdout)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    return 0
