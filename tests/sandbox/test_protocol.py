"""Frames forged by model code on the worker's own sockets: the host checks each against the protocol,
restarts the worker on a violation and says so; it never raises and never believes a malformed field."""

from __future__ import annotations

import asyncio
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlm_studio.sandbox import SandboxLimits, Worker
from rlm_studio.sandbox.worker import CellResult, _Connection

from .helpers import run, start_worker

FORGE = """
import gc, json, os, sys
cell = next(o for o in gc.get_objects() if type(o).__name__ == 'CellControl').running_cell
def frame(obj):
    data = json.dumps(obj).encode()
    return len(data).to_bytes(4, 'big') + data
good = {"op": "result", "id": cell, "stdout": "", "stderr": "", "stdout_chars": 0, "stderr_chars": 0,
        "error": None, "duration_ms": 1.0, "variables": [], "final": None, "timed_out": False,
        "interrupted": False, "restored": []}
control, rpc = int(sys.argv[1]), int(sys.argv[2])
os.write(SOCKET, PAYLOAD)
"""

FORGED = {
    "non-integer stdout_chars": ("control", "frame(dict(good, stdout_chars='many'))"),
    "float stdout_chars": ("control", "frame(dict(good, stdout_chars=1.5))"),
    "final as a string": ("control", "frame(dict(good, final='the answer'))"),
    "final value a nested dict": ("control", "frame(dict(good, final={'value': {'a': {'b': 1}}, 'source': 'FINAL', 'var': None}))"),
    "a list id": ("control", "frame(dict(good, id=[cell]))"),
    "an unhashable dict id": ("control", "frame(dict(good, id={'cell': cell}))"),
    "a frame that is a list": ("control", "frame([1, 2, 3])"),
    "a frame that is a string": ("control", "frame('result')"),
    "an unknown op": ("control", "frame({'op': 'shutdown'})"),
    "a result on the rpc socket": ("rpc", "frame(good)"),
    "a request with a list id": ("rpc", "frame({'op': 'req', 'id': [1], 'kind': 'llm_query', 'prompt': 'x', 'model': None})"),
    "a request of an unknown kind": ("rpc", "frame({'op': 'req', 'id': 1, 'kind': 'os.system', 'prompt': 'x'})"),
    "a batch whose prompts are numbers": ("rpc", "frame({'op': 'req', 'id': 1, 'kind': 'llm_query_batched', 'prompts': [1], 'model': None})"),
    "an announced length over the limit": ("control", "b'\\xff\\xff\\xff\\xff' + b'{}'"),
    "bytes that are not JSON": ("control", "(5).to_bytes(4, 'big') + b'{{{{{'"),
    "invalid UTF-8": ("control", "(3).to_bytes(4, 'big') + b'\\xff\\xfe\\xfd'"),
    "a NaN duration": ("control", "frame(dict(good, duration_ms=float('nan')))"),
    "a variable list of numbers": ("control", "frame(dict(good, variables=[1, 2]))"),
    "an error that is a string": ("control", "frame(dict(good, error='boom'))"),
    "restored names that are not reserved": ("control", "frame(dict(good, restored=['os']))"),
    "unknown fields": ("control", "frame(dict(good, admin=True))"),
    "stdout over the capture limit": ("control", "frame(dict(good, stdout='x' * 1_000_001, stdout_chars=1_000_001))"),
    "a negative size": ("control", "frame(dict(good, variables=[{'name': 'a', 'type': 'int', 'size': -1, 'summary': '1'}]))"),
    "a second ready": ("control", "frame({'op': 'ready', 'pid': 1})"),
    "an acknowledgement nobody waits for": ("control", "frame({'op': 'set_done', 'id': 999})"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_forged_frame_is_a_protocol_violation_and_the_worker_restarts(context_file, case):
    socket_name, payload = FORGED[case]

    async def body():
        worker = await start_worker(context_file("kept context"))
        try:
            await worker.execute("before = 1")
            forged = await worker.execute(FORGE.replace("SOCKET", socket_name).replace("PAYLOAD", payload))
            after = await worker.execute("context, 'before' in globals()")
            return forged, after, worker.restarts
        finally:
            await worker.close()

    forged, after, restarts = run(body())
    assert forged.protocol_violation, forged
    assert forged.crashed and "breaks the protocol" in forged.crashed
    assert forged.final is None and forged.stdout_chars == 0
    assert restarts == 1
    assert after.stdout == "('kept context', False)\n" and after.crashed is None


def test_a_well_formed_result_for_the_running_cell_is_believed_as_its_own_output(context_file):
    """The trust model: model code may speak for its own cell (it could print the same), nothing more.
    The genuine result that follows has no cell waiting for it: that is a violation, seen at the next cell."""
    async def body():
        worker = await start_worker(context_file())
        try:
            forged = await worker.execute(FORGE.replace("SOCKET", "control").replace(
                "PAYLOAD", "frame(dict(good, stdout='forged\\n', stdout_chars=7))"))
            await worker._connection.closed  # the genuine result came and ended the worker
            after = await worker.execute("context")
            return forged, after
        finally:
            await worker.close()

    forged, after = run(body())
    assert forged.stdout == "forged\n" and forged.protocol_violation is None
    assert after.crashed_before_cell and after.protocol_violation
    assert "a result for a cell that is not running" in after.protocol_violation
    assert after.stdout == "'hello context'\n"


def test_a_flood_of_requests_is_a_violation_not_an_unbounded_pile_of_tasks(context_file):
    async def never(kind, payload):
        await asyncio.Event().wait()

    flood = ("import os, sys, json\nfor i in range(1, 400):\n"
             "    data = json.dumps({'op': 'req', 'id': i, 'kind': 'llm_query', 'prompt': 'x', 'model': None}).encode()\n"
             "    os.write(int(sys.argv[2]), len(data).to_bytes(4, 'big') + data)")

    async def body():
        worker = await start_worker(context_file(), handler=never)
        try:
            return await worker.execute(flood), await worker.execute("'alive'")
        finally:
            await worker.close()

    flooded, after = run(body())
    assert flooded.protocol_violation and "256 sub-model requests in flight" in flooded.protocol_violation
    assert after.stdout == "'alive'\n"


# -- fuzz: arbitrary bytes and JSON into the real host-side channel -----------------------------------------
GOOD_RESULT = {"op": "result", "id": 1, "stdout": "", "stderr": "", "stdout_chars": 0, "stderr_chars": 0,
               "error": None, "duration_ms": 1.0, "variables": [], "final": None, "timed_out": False,
               "interrupted": False, "restored": []}
GOOD_REQUEST = {"op": "req", "id": 1, "kind": "llm_query", "prompt": "q", "model": None}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def _mutated(template: dict) -> st.SearchStrategy:
    return st.builds(lambda key, value: {**template, key: value}, st.sampled_from(sorted(template) + ["extra"]),
                     json_values)


def _encode(message: object) -> bytes:
    data = json.dumps(message, allow_nan=True).encode()
    return len(data).to_bytes(4, "big") + data


frames = st.one_of(
    st.binary(max_size=64),                                                        # raw bytes
    json_values.map(_encode),                                                      # JSON of any shape
    _mutated(GOOD_RESULT).map(_encode),                                            # a result with one field wrong
    _mutated(GOOD_REQUEST).map(_encode),                                           # a request with one field wrong
    st.builds(lambda n, tail: n.to_bytes(4, "big") + tail,                         # lying lengths
              st.integers(0, 2**32 - 1), st.binary(max_size=16)),
)


async def _answer(kind: str, payload: dict) -> str:
    return "answer"


async def _feed(chunks: list[tuple[bool, bytes]]) -> tuple[_Connection, asyncio.Future, BaseException | None]:
    worker = Worker(context_path=None, handler=_answer, limits=SandboxLimits(), isolation="bwrap", bwrap=None,
                    warning=None)
    connection = _Connection(worker)
    waiter = asyncio.get_running_loop().create_future()
    connection.waiters[("result", 1)] = waiter
    failure = None
    try:
        for to_rpc, data in chunks:
            (connection.rpc if to_rpc else connection.control).data_received(data)
        await asyncio.sleep(0)  # let any request it started run
    except BaseException as exc:  # noqa: B036 - the property: nothing at all escapes
        failure = exc
    return connection, waiter, failure


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), frames), min_size=1, max_size=4))
def test_fuzz_the_host_never_raises_and_believes_only_well_formed_results(chunks):
    connection, waiter, failure = asyncio.run(_feed(chunks))
    assert failure is None, repr(failure)
    if waiter.done() and connection.protocol_error is None:
        result = Worker._result_from(waiter.result())
        assert isinstance(result, CellResult)
        assert type(result.stdout_chars) is int and result.stdout_chars >= len(result.stdout)
        assert result.final is None or (isinstance(result.final, dict) and isinstance(result.final["value"], str))
        assert math.isfinite(result.duration_ms)
        assert all(isinstance(v, dict) and isinstance(v["name"], str) for v in result.variables)
    if connection.protocol_error is not None:
        assert isinstance(connection.protocol_error, str) and connection.protocol_error


def test_fuzz_cases_that_must_be_violations():
    for message in ({**GOOD_RESULT, "stdout_chars": "x"}, {**GOOD_RESULT, "id": [1]}, {**GOOD_RESULT, "final": "s"},
                    [GOOD_RESULT], {**GOOD_REQUEST, "prompt": 5}, {**GOOD_RESULT, "stdout_chars": -1}):
        connection, waiter, failure = asyncio.run(_feed([(message.get("op") == "req" if isinstance(message, dict)
                                                          else False, _encode(message))]))
        assert failure is None and connection.protocol_error, message
        assert not waiter.done()
