"""`rlm-studio export --format otlp|otlp-json`: a real run sent to a real OTLP/HTTP receiver (oteltap).

The receiver is oteltap's native OTLP/HTTP protobuf server (Arize Phoenix is 850 MB installed:
too heavy for the test extras); the spans are read back from it as it decoded them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import sys
from pathlib import Path

import pytest
from oteltap import OtelTapHttpProtobufReceiver, OtelTapHttpProtobufReceiverSettings

from rlm_studio.analysis.otlp_send import send_spans
from rlm_studio.analysis.otlp_spans import build_spans, span_id_for, trace_id_for
from rlm_studio.storage import Store

from .test_cli_run import ROOT, cli, write_script

SAFETY_TIMEOUT_S = 60  # only against a hang; the test waits for the spans themselves


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory) -> tuple[Path, str]:
    """A finished run with two iterations, a cell with two sub-calls and a final answer."""
    tmp = tmp_path_factory.mktemp("otlp")
    doc = tmp / "log.txt"
    doc.write_text("alpha\n" * 50 + "The vault code is 7731.\n")
    root = write_script(tmp, responses=[
        "```repl\na = llm_query('first half?')\nb = llm_query('second half?')\nprint(a, b)\n```",
        "```repl\nFINAL('7731')\n```"])
    sub_path = tmp / "sub.json"
    sub_path.write_text(json.dumps({"responses": ["nothing", "code 7731"], "cost_usd": 0.001}))
    db = tmp / "runs.db"
    out = cli("run", "-c", str(doc), "-q", "What is the vault code?", "--root-model", root,
              "--sub-model", f"script:{sub_path}", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    return db, json.loads(out.stdout)["run_id"]


async def _export_to_receiver(db: Path, run_id: str, expected: int, *extra: str) -> tuple[int, str, list]:
    port = _free_port()
    settings = OtelTapHttpProtobufReceiverSettings(http_port=port)
    async with OtelTapHttpProtobufReceiver(settings) as receiver:
        received: list = []
        done = asyncio.Event()

        async def collect() -> None:
            async for span in receiver.stream_traces():
                received.append(span)
                if len(received) >= expected:
                    done.set()

        collector = asyncio.create_task(collect())
        await asyncio.sleep(0)  # let the stream subscribe before anything is sent
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rlm_studio", "export", run_id, "--format", "otlp",
            "--endpoint", f"http://127.0.0.1:{port}", "--db", str(db), *extra, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), SAFETY_TIMEOUT_S)
        if proc.returncode == 0:
            await asyncio.wait_for(done.wait(), SAFETY_TIMEOUT_S)
        collector.cancel()
        return proc.returncode or 0, err.decode(), received


def _attrs(span) -> dict:
    out = {}
    for kv in span.attributes:
        which = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, which) if which != "array_value" else [
            getattr(v, v.WhichOneof("value")) for v in kv.value.array_value.values]
    return out


def test_a_run_arrives_as_one_span_per_node_with_parents_models_tokens_and_cost(stored_run):
    db, run_id = stored_run
    with sqlite3.connect(db) as conn:
        node_rows = conn.execute("select id, parent_id, kind from nodes where run_id = ?", (run_id,)).fetchall()
    rc, err, spans = asyncio.run(_export_to_receiver(db, run_id, len(node_rows)))
    assert rc == 0, err
    assert f"as {len(node_rows)} spans in 1 request(s)" in err
    assert len(spans) == len(node_rows)
    by_id = {s.span_id: s for s in spans}
    assert {s.trace_id for s in spans} == {trace_id_for(run_id)}
    for node_id, parent_id, kind in node_rows:
        span = by_id[span_id_for(run_id, node_id)]
        assert _attrs(span)["rlm_studio.node_kind"] == kind
        assert span.parent_span_id == (span_id_for(run_id, parent_id) if parent_id else b"")
        assert span.end_time_unix_nano >= span.start_time_unix_nano > 0
    subcalls = [s for s in spans if _attrs(s)["rlm_studio.node_kind"] == "subcall"]
    assert len(subcalls) == 2
    for span in subcalls:
        attrs = _attrs(span)
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["gen_ai.request.model"].startswith("script:")
        assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
        assert attrs["gen_ai.usage.cost"] == pytest.approx(0.001)
    assert sorted(_attrs(s)["output.value"] for s in subcalls) == ["code 7731", "nothing"]
    cells = [s for s in spans if _attrs(s)["rlm_studio.node_kind"] == "cell"]
    first = min(cells, key=lambda s: s.start_time_unix_nano)
    assert "llm_query('first half?')" in _attrs(first)["rlm_studio.cell.code"]
    assert _attrs(first)["rlm_studio.cell.stdout"].strip() == "nothing code 7731"
    assert [e.name for e in first.events] == ["rlm_studio.cell.code", "rlm_studio.cell.output"]
    (run_span,) = [s for s in spans if not s.parent_span_id]
    assert _attrs(run_span)["output.value"] == "7731"
    assert _attrs(run_span)["rlm_studio.total.cost_usd"] == pytest.approx(0.002)


def test_otlp_json_file_holds_the_same_spans_and_ids_are_stable(stored_run, tmp_path):
    db, run_id = stored_run
    out_file = tmp_path / "spans.json"
    out = cli("export", run_id[:10], "--format", "otlp-json", "-o", str(out_file), "--db", str(db))
    assert out.returncode == 0, out.stderr
    data = json.loads(out_file.read_text())
    spans = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    service = {a["key"]: a["value"] for a in data["resourceSpans"][0]["resource"]["attributes"]}
    assert service["service.name"] == {"stringValue": "rlm-studio"}
    with Store.open(db) as store:
        built = build_spans(run_id, store.load_events(run_id))
    assert [s["spanId"] for s in spans] == [s.span_id.hex() for s in built]
    assert all(s["traceId"] == trace_id_for(run_id).hex() for s in spans)
    assert all(isinstance(s["kind"], int) for s in spans)  # OTLP/JSON: enums as integers
    again = cli("export", run_id, "--format", "otlp-json", "--db", str(db))
    assert json.loads(again.stdout) == data


def test_many_requests_all_arrive_when_a_run_is_larger_than_one_request(stored_run):
    db, run_id = stored_run
    with Store.open(db) as store:
        spans = build_spans(run_id, store.load_events(run_id))

    async def go() -> tuple[int, int]:
        port = _free_port()
        async with OtelTapHttpProtobufReceiver(OtelTapHttpProtobufReceiverSettings(http_port=port)) as receiver:
            got: list = []
            done = asyncio.Event()

            async def collect() -> None:
                async for span in receiver.stream_traces():
                    got.append(span)
                    if len(got) >= len(spans):
                        done.set()

            task = asyncio.create_task(collect())
            await asyncio.sleep(0)
            report = await asyncio.to_thread(send_spans, spans, f"http://127.0.0.1:{port}", None, 30.0, 600)
            await asyncio.wait_for(done.wait(), SAFETY_TIMEOUT_S)
            task.cancel()
            return report.requests, len({s.span_id for s in got})

    requests, distinct = asyncio.run(go())
    assert requests > 1
    assert distinct == len(spans)


def test_a_collector_that_is_down_is_one_line_and_nothing_sent(stored_run):
    db, run_id = stored_run
    port = _free_port()
    out = cli("export", run_id, "--format", "otlp", "--endpoint", f"http://127.0.0.1:{port}", "--db", str(db))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert "cannot reach the OTLP collector" in lines[0] and "nothing was sent" in lines[0]


def test_bad_otlp_arguments_are_one_line_errors(stored_run):
    db, run_id = stored_run
    missing = cli("export", run_id, "--format", "otlp", "--db", str(db))
    assert missing.returncode == 2 and "needs --endpoint" in missing.stderr
    bad_url = cli("export", run_id, "--format", "otlp", "--endpoint", "localhost:4318", "--db", str(db))
    assert bad_url.returncode == 1 and "http:// or https://" in bad_url.stderr
    bad_header = cli("export", run_id, "--format", "otlp", "--endpoint", "http://127.0.0.1:9",
                     "--header", "novalue", "--db", str(db))
    assert bad_header.returncode == 2 and "NAME=VALUE" in bad_header.stderr


def test_a_follow_up_turn_carries_its_conversation_id(stored_run, tmp_path):
    db, run_id = stored_run
    root = write_script(tmp_path, rules=[{"match": "turn 2", "content": "```repl\nFINAL(a)\n```"}])
    out = cli("ask", run_id, "And again?", "--root-model", root, "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    turn = json.loads(out.stdout)["run_id"]
    with Store.open(db) as store:
        (run_span,) = [s for s in build_spans(turn, store.load_events(turn)) if not s.parent_span_id]
    attrs = _attrs(run_span)
    assert attrs["gen_ai.conversation.id"] == run_id and attrs["rlm_studio.turn"] == 2
    assert attrs["output.value"] == "nothing"   # `a` as the first turn's sub-call answered it, rebuilt
