"""Send a run's spans to an OTLP/HTTP collector (protobuf), in as few requests as the size allows.

Collectors cap one request's size (often 4 MB), so a large run goes in several requests of at
most `max_request_bytes`; a failure says how many of them the collector had already accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from .otlp_spans import export_request

DEFAULT_MAX_REQUEST_BYTES = 3_000_000


class OtlpSendError(Exception):
    """The collector could not be reached or refused spans; the message says what was sent before."""


@dataclass(frozen=True)
class SendReport:
    endpoint: str
    spans: int
    requests: int
    rejected_spans: int = 0


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL: `http://host:4318` gets `/v1/traces`; a full path is kept."""
    url = endpoint.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise OtlpSendError(f"endpoint must be an http:// or https:// URL, not {endpoint!r}")
    return url if url.endswith("/v1/traces") else url + "/v1/traces"


def batches(spans: list[Span], max_request_bytes: int) -> list[list[Span]]:
    """Consecutive groups of spans whose encoded size stays under the limit (a huge span goes alone)."""
    groups: list[list[Span]] = []
    current: list[Span] = []
    size = 0
    for span in spans:
        span_size = span.ByteSize() + 8
        if current and size + span_size > max_request_bytes:
            groups.append(current)
            current, size = [], 0
        current.append(span)
        size += span_size
    if current:
        groups.append(current)
    return groups


def send_spans(spans: list[Span], endpoint: str, headers: dict[str, str] | None = None,
               timeout_s: float = 30.0, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> SendReport:
    """POST the spans; raise OtlpSendError (saying how many requests had succeeded) on any failure."""
    url = traces_url(endpoint)
    groups = batches(spans, max_request_bytes)
    request_headers = {"Content-Type": "application/x-protobuf", **(headers or {})}
    rejected = 0
    sent_spans = 0
    with httpx.Client(timeout=timeout_s, trust_env=False) as client:
        for number, group in enumerate(groups):
            done = (f"; {number} of {len(groups)} requests ({sent_spans} spans) had been accepted before"
                    if number else "; nothing was sent")
            body = export_request(group).SerializeToString()
            try:
                response = client.post(url, content=body, headers=request_headers)
            except httpx.HTTPError as exc:
                raise OtlpSendError(f"cannot reach the OTLP collector at {url}: {_reason(exc)}{done}") from None
            if response.status_code >= 300:
                detail = " ".join(response.text.split())[:200]
                raise OtlpSendError(f"the OTLP collector at {url} answered HTTP {response.status_code}"
                                    f"{': ' + detail if detail else ''}{done}")
            rejected += _rejected(response)
            sent_spans += len(group)
    return SendReport(endpoint=url, spans=len(spans), requests=len(groups), rejected_spans=rejected)


def _rejected(response: httpx.Response) -> int:
    """Spans the collector reported as rejected in a partial success (0 when it says nothing)."""
    if not response.content or "protobuf" not in response.headers.get("content-type", ""):
        return 0
    parsed = ExportTraceServiceResponse()
    try:
        parsed.ParseFromString(response.content)
    except Exception:  # a collector answering with something else: nothing to read
        return 0
    return int(parsed.partial_success.rejected_spans)


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"connection refused or host unreachable ({text})"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    return text
