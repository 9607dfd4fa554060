"""The worker's start timeout grows with the context it must load, and running past it says so (not "out of memory")."""

import pytest

from rlm_studio.sandbox import Worker, write_context
from rlm_studio.sandbox.worker import START_TIMEOUT_PER_GB_S, START_TIMEOUT_S, WorkerStartError, start_timeout_s

from .helpers import echo_handler, run


def test_the_allowance_grows_with_the_context_size():
    assert start_timeout_s(0) == START_TIMEOUT_S
    assert start_timeout_s(2_000_000_000) == pytest.approx(START_TIMEOUT_S + 2 * START_TIMEOUT_PER_GB_S)


def test_a_worker_that_is_not_ready_in_time_is_reported_as_such(tmp_path):
    path = tmp_path / "context.bin"
    write_context("x" * 3_000_000, path)

    async def go():
        # a real worker with a timeout it cannot meet (a process start alone takes longer than 1 us)
        await Worker.start(context_path=path, handler=echo_handler, isolation="bwrap", start_timeout=1e-6)

    with pytest.raises(WorkerStartError) as caught:
        run(go())
    message = str(caught.value)
    assert "did not become ready within 1e-06 s while loading a 3 MB context" in message, message
    assert "memory" not in message


def test_the_default_timeout_lets_a_real_worker_start(tmp_path):
    path = tmp_path / "context.bin"
    write_context("abc" * 1000, path)

    async def go():
        worker = await Worker.start(context_path=path, handler=echo_handler, isolation="bwrap")
        try:
            result = await worker.execute("print(len(context))")
        finally:
            await worker.close()
        return result.stdout.strip()

    assert run(go()) == "3000"
