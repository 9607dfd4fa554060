"""`rlm-studio export RUN --format otlp|otlp-json`: a run as OpenTelemetry spans, sent or written."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from .common import CliError, load_run_events

if TYPE_CHECKING:
    from rlm_studio.storage import Store

OTLP_FORMATS = ("otlp", "otlp-json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", metavar="URL",
                        help="with --format otlp: the collector's OTLP/HTTP address, e.g. http://localhost:4318 "
                             "(/v1/traces is added unless given)")
    parser.add_argument("--header", metavar="NAME=VALUE", action="append", default=[],
                        help="with --format otlp: an HTTP header for the collector (repeatable), e.g. an API key")


def _headers(items: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--header takes NAME=VALUE, not {item!r}")
        headers[name.strip()] = value.strip()
    return headers


def handle_otlp(args: argparse.Namespace, store: Store) -> int:
    """Send (otlp) or write (otlp-json) the run's spans; one line on stderr says what happened."""
    from rlm_studio.analysis.otlp_send import OtlpSendError, send_spans
    from rlm_studio.analysis.otlp_spans import build_spans, export_request, otlp_json

    if args.format == "otlp" and not args.endpoint:
        raise CliError("--format otlp needs --endpoint URL (the collector's OTLP/HTTP address)")
    if args.format == "otlp-json" and args.endpoint:
        raise CliError("--endpoint goes with --format otlp; --format otlp-json writes a file (-o FILE)")
    headers = _headers(args.header)
    run_id, events = load_run_events(store, args.run)
    spans = build_spans(run_id, events)
    if args.format == "otlp":
        try:
            report = send_spans(spans, args.endpoint, headers=headers)
        except OtlpSendError as exc:
            raise CliError(str(exc), code=1) from None
        rejected = f", {report.rejected_spans} rejected by the collector" if report.rejected_spans else ""
        print(f"sent run {run_id} as {report.spans} spans in {report.requests} request(s) to {report.endpoint}"
              f"{rejected}", file=sys.stderr)
        return 1 if report.rejected_spans else 0
    text = json.dumps(otlp_json(export_request(spans)), ensure_ascii=False)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"exported run {run_id} as {len(spans)} OTLP spans to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0
