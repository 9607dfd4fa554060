"""A stored run as OpenTelemetry spans (GenAI semantic conventions), from the one run tree.

One span per tree node, parented like the tree; ids are derived from the run and node ids, so
exporting a run twice gives the same trace (collectors deduplicate). Model calls and sub-calls are
`chat` spans with `gen_ai.*` model and usage attributes; code cells carry their code and output;
the OpenInference attributes (`input.value`, `output.value`, `openinference.span.kind`) make
Arize Phoenix show the same spans well. Pure: builds protobuf messages and the OTLP JSON dict.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from rlm_studio import __version__
from rlm_studio.engine.events import Event
from rlm_studio.engine.run_tree import NodeRecord

from ._events import as_events
from .tree import RunTree

#: longest text put in one attribute; longer ones are cut with a note saying how much
MAX_ATTRIBUTE_CHARS = 32_000

_ERROR_STATUSES = frozenset({"error", "timeout", "crashed", "failed", "interrupted"})
_RUN_NOT_DONE = frozenset({"limit_hit", "cancelled"})
_OPERATION = {"run": "invoke_agent", "iteration": "iteration", "model_call": "chat", "cell": "execute_tool",
              "subcall": "chat", "final_answer": "final_answer"}
_OPENINFERENCE_KIND = {"run": "AGENT", "iteration": "CHAIN", "model_call": "LLM", "cell": "TOOL",
                       "subcall": "LLM", "final_answer": "CHAIN"}


def trace_id_for(run_id: str) -> bytes:
    """16 bytes derived from the run id (the same run always maps to the same trace)."""
    return hashlib.sha256(f"rlm-studio-trace:{run_id}".encode()).digest()[:16]


def span_id_for(run_id: str, node_id: str) -> bytes:
    """8 bytes derived from the run and node ids."""
    return hashlib.sha256(f"rlm-studio-span:{run_id}:{node_id}".encode()).digest()[:8]


def _cut(text: str) -> str:
    if len(text) <= MAX_ATTRIBUTE_CHARS:
        return text
    return text[:MAX_ATTRIBUTE_CHARS] + f"… [{len(text) - MAX_ATTRIBUTE_CHARS} more characters not exported]"


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, (list, tuple)):
        out = AnyValue()
        out.array_value.values.extend(_value(v) for v in value)
        return out
    return AnyValue(string_value=_cut(str(value)))


def _attributes(items: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in items.items() if v is not None and v != ""]


def _nanos(ts: float) -> int:
    return int(round(ts * 1e9))


def provider_of(model: str) -> str:
    """The provider part of a litellm model string (`openai/gpt-5` -> openai); `rlm-studio` for ours."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith(("script:", "bundled")):
        return "rlm-studio"
    return "unknown" if not model else model.split("-", 1)[0]


class _NodeTexts:
    """The texts the tree records do not keep (code, output, prompts, responses), by node id."""

    def __init__(self, events: list[Event]) -> None:
        self.opened: dict[str, Event] = {}
        self.closed: dict[str, Event] = {}
        self.last_ts = 0.0
        for event in events:
            self.last_ts = max(self.last_ts, event.ts)
            if event.kind.endswith("_started") or event.kind == "final_answer":
                self.opened.setdefault(event.node_id, event)
            elif event.kind.endswith("_finished"):
                self.closed[event.node_id] = event


def _node_attributes(node: NodeRecord, texts: _NodeTexts, tree: RunTree, run_id: str) -> tuple[
        dict[str, Any], list[Span.Event]]:
    attrs: dict[str, Any] = {"rlm_studio.run_id": run_id, "rlm_studio.node_id": node.id,
                             "rlm_studio.node_kind": node.kind, "rlm_studio.status": node.status,
                             "rlm_studio.depth": node.depth, "rlm_studio.iteration": node.iteration,
                             "gen_ai.operation.name": _OPERATION.get(node.kind, node.kind),
                             "openinference.span.kind": _OPENINFERENCE_KIND.get(node.kind, "CHAIN")}
    events: list[Span.Event] = []
    opened = texts.opened.get(node.id)
    closed = texts.closed.get(node.id)
    if node.kind in ("model_call", "subcall"):
        attrs.update({"gen_ai.provider.name": provider_of(node.model), "gen_ai.system": provider_of(node.model),
                      "gen_ai.request.model": getattr(opened, "model", "") or node.model,
                      "gen_ai.response.model": node.model,
                      "gen_ai.usage.input_tokens": node.input_tokens,
                      "gen_ai.usage.output_tokens": node.output_tokens,
                      "llm.model_name": node.model, "llm.token_count.prompt": node.input_tokens,
                      "llm.token_count.completion": node.output_tokens,
                      "llm.token_count.total": node.input_tokens + node.output_tokens})
        if node.cached_tokens:
            attrs["gen_ai.usage.cache_read.input_tokens"] = node.cached_tokens
        if node.tokens_estimated:
            attrs["rlm_studio.tokens_estimated"] = True
        if node.cost_usd is not None:
            attrs["gen_ai.usage.cost"] = node.cost_usd
            attrs["rlm_studio.cost_usd"] = node.cost_usd
        prompt = ""
        if node.kind == "subcall":
            prompt = getattr(opened, "prompt", "")
        else:
            messages = getattr(opened, "messages", []) or []
            prompt = str(messages[-1].get("content", "")) if messages else ""
        response = getattr(closed, "response", "") if closed is not None else ""
        finish = getattr(closed, "finish_reason", None) if closed is not None else None
        if finish:
            attrs["gen_ai.response.finish_reasons"] = [finish]
        attrs["input.value"], attrs["output.value"] = prompt, response
        events.append(_span_event("gen_ai.content.prompt", node.started_ts, {"gen_ai.prompt": prompt}))
        if closed is not None:
            events.append(_span_event("gen_ai.content.completion", closed.ts, {"gen_ai.completion": response}))
    elif node.kind == "cell":
        code = getattr(opened, "code", "")
        stdout = getattr(closed, "stdout", "") if closed is not None else ""
        stderr = getattr(closed, "stderr", "") if closed is not None else ""
        attrs.update({"gen_ai.tool.name": "python_repl", "rlm_studio.cell.code": code,
                      "rlm_studio.cell.stdout": stdout, "rlm_studio.cell.stderr": stderr,
                      "input.value": code, "output.value": stdout + stderr})
        events.append(_span_event("rlm_studio.cell.code", node.started_ts, {"code": code}))
        if closed is not None:
            events.append(_span_event("rlm_studio.cell.output", closed.ts, {"stdout": stdout, "stderr": stderr}))
    elif node.kind == "run":
        totals = tree.totals(node.id)
        attrs.update({"gen_ai.agent.name": "rlm", "gen_ai.request.model": node.model,
                      "rlm_studio.question": node.extra.get("question", ""),
                      "input.value": node.extra.get("question", ""),
                      "output.value": node.extra.get("answer") or "",
                      "rlm_studio.answer_protocol": _protocol(opened),
                      "rlm_studio.total.input_tokens": totals.input_tokens,
                      "rlm_studio.total.output_tokens": totals.output_tokens,
                      "rlm_studio.total.known_cost_usd": totals.known_cost_usd,
                      "rlm_studio.total.subcalls": totals.subcalls,
                      "rlm_studio.total.iterations": totals.iterations})
        if totals.cost_usd is not None:
            attrs["rlm_studio.total.cost_usd"] = totals.cost_usd
        link = ((getattr(opened, "settings", None) or {}).get("extra") or {}).get("conversation")
        if isinstance(link, dict):   # a follow-up turn (engine.follow_up)
            attrs.update({"gen_ai.conversation.id": str(link.get("id", "")), "rlm_studio.turn": link.get("turn"),
                          "rlm_studio.previous_run_id": link.get("previous_run_id")})
    elif node.kind == "final_answer":
        answer = getattr(opened, "answer", "")
        attrs.update({"rlm_studio.answer": answer, "rlm_studio.answer_via": getattr(opened, "via", ""),
                      "output.value": answer})
    if node.error:
        attrs["error.type"] = node.error.split(":", 1)[0]
    return attrs, events


def _protocol(opened: Event | None) -> str:
    settings = getattr(opened, "settings", None) or {}
    return str(settings.get("answer_protocol") or "final")


def _span_event(name: str, ts: float, attrs: dict[str, Any]) -> Span.Event:
    return Span.Event(name=name, time_unix_nano=_nanos(ts), attributes=_attributes(attrs))


def build_spans(run_id: str, events: Iterable[Event | dict[str, Any]]) -> list[Span]:
    """The run's spans, parents before children (depth-first, siblings in order)."""
    typed = as_events(events)
    tree = RunTree.from_events(typed)
    texts = _NodeTexts(typed)
    trace_id = trace_id_for(run_id)
    spans: list[Span] = []
    for node_id in tree.walk():
        node = tree.node(node_id)
        parent = tree.parent(node_id)
        attrs, span_events = _node_attributes(node, texts, tree, run_id)
        end_ts = node.ended_ts if node.ended_ts is not None else max(texts.last_ts, node.started_ts)
        failed = node.status in _ERROR_STATUSES or (node.kind == "run" and node.status in _RUN_NOT_DONE)
        status = (Status(code=Status.STATUS_CODE_ERROR, message=node.error or node.status) if failed
                  else Status(code=Status.STATUS_CODE_OK))
        name = node.label or node.kind
        if node.kind in ("model_call", "subcall") and node.model:
            name = f"chat {node.model}"
        spans.append(Span(
            trace_id=trace_id, span_id=span_id_for(run_id, node_id),
            parent_span_id=span_id_for(run_id, parent) if parent else b"",
            name=name, kind=Span.SPAN_KIND_CLIENT if node.kind in ("model_call", "subcall") else
            Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=_nanos(node.started_ts), end_time_unix_nano=_nanos(end_ts),
            attributes=_attributes(attrs), events=span_events, status=status))
    return spans


def export_request(spans: list[Span], service_name: str = "rlm-studio") -> ExportTraceServiceRequest:
    """One OTLP export request holding `spans` under the rlm-studio resource and scope."""
    resource = Resource(attributes=_attributes({"service.name": service_name, "service.version": __version__,
                                                "telemetry.sdk.name": "rlm-studio"}))
    scope = ScopeSpans(scope=InstrumentationScope(name="rlm_studio", version=__version__), spans=spans)
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(resource=resource, scope_spans=[scope])])


def _hex_ids(value: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex, where proto3 JSON would use base64."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(item, str):
                out[key] = base64.b64decode(item).hex()
            else:
                out[key] = _hex_ids(item)
        return out
    if isinstance(value, list):
        return [_hex_ids(v) for v in value]
    return value


def otlp_json(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """The OTLP/JSON encoding of a request (camelCase names, integer enums, hex ids)."""
    as_dict = MessageToDict(request, use_integers_for_enums=True, preserving_proto_field_name=False)
    result: dict[str, Any] = _hex_ids(as_dict)
    return result
