"""Time limits, host interrupts, memory and process caps: the cell fails, the worker and the app live on.

No wall-clock bounds here (the suite runs on a loaded machine; speed is in benchmarks/): a stop that
worked is told apart from the hard kill by `crashed` and the restart count, and a cell is known to be
running because it told the test so through a sub-call.
"""

import asyncio

from .helpers import echo_handler, run, start_worker


def started_signal():
    """(handler, event): the event is set when the cell calls llm_query('started')."""
    started = asyncio.Event()

    async def handler(kind, payload):
        if payload.get("prompt") == "started":
            started.set()
            return "ok"
        return await echo_handler(kind, payload)

    return handler, started


def test_an_infinite_loop_is_stopped_by_the_cell_limit_and_the_repl_stays_usable(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            await worker.execute("kept = 'still here'")
            loop = await worker.execute("n = 0\nwhile True:\n    n += 1", timeout_s=0.5)
            sleeper = await worker.execute("import time\ntime.sleep(1000)", timeout_s=0.5)
            after = await worker.execute("kept, n > 0")
            return loop, sleeper, after, worker.restarts
        finally:
            await worker.close()

    loop, sleeper, after, restarts = run(body())
    for stopped in (loop, sleeper):
        assert stopped.timed_out and not stopped.interrupted and stopped.crashed is None
        assert stopped.error["type"] == "TimeoutError"
        assert stopped.duration_ms >= 450  # never before its limit (the upper side is a benchmark, not a test)
    assert 'File "<cell 2>", line' in loop.error["traceback"]
    assert after.stdout.strip() == "('still here', True)"
    assert restarts == 0


def test_a_cell_waiting_on_a_slow_sub_call_is_stopped_too(context_file):
    async def handler(kind, payload):
        await asyncio.sleep(30)
        return "too late"

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            stopped = await worker.execute("x = 1\nllm_query('slow')", timeout_s=0.5)
            return stopped, await worker.execute("x"), worker.restarts
        finally:
            await worker.close()

    stopped, after, restarts = run(body())
    assert stopped.timed_out and stopped.error["type"] == "TimeoutError"
    assert stopped.crashed is None and restarts == 0  # stopped inside the wait, not by the hard kill
    assert after.stdout == "1\n"


def test_a_cell_that_swallows_the_stop_is_killed_and_the_worker_restarted(context_file):
    code = "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass"

    async def body():
        worker = await start_worker(context_file("ctx survives"))
        try:
            stubborn = await worker.execute(code, timeout_s=0.3)
            return stubborn, await worker.execute("context"), worker.restarts
        finally:
            await worker.close()

    stubborn, after, restarts = run(body())
    assert stubborn.timed_out and "ignored its 0.3 s time limit" in stubborn.crashed
    assert after.stdout == "'ctx survives'\n" and restarts == 1


def test_interrupt_from_the_app_stops_the_running_cell(context_file):
    handler, started = started_signal()

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            await worker.interrupt()  # idle: nothing happens
            task = asyncio.ensure_future(worker.execute("import time\ny = 5\nllm_query('started')\ntime.sleep(1000)"))
            await started.wait()
            await worker.interrupt()
            result = await task
            return result, await worker.execute("y"), worker.restarts
        finally:
            await worker.close()

    result, after, restarts = run(body())
    assert result.interrupted and not result.timed_out and result.crashed is None and restarts == 0
    assert result.error["type"] == "KeyboardInterrupt"
    assert after.stdout == "5\n"


def test_a_4_gb_allocation_fails_inside_the_worker_only(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            await worker.execute("keep = 'me'")
            big = await worker.execute("block = bytearray(4 * 1024 ** 3)")
            return big, await worker.execute("keep, 'block' in globals()"), worker.restarts
        finally:
            await worker.close()

    big, after, restarts = run(body())
    assert big.error["type"] == "MemoryError" and big.crashed is None
    assert after.stdout.strip() == "('me', False)" and restarts == 0


FORK_BOMB = """
import os, time
children = []
refused = None
for _ in range(300):
    try:
        pid = os.fork()
    except OSError as exc:
        refused = exc.errno
        break
    if pid == 0:
        time.sleep(20)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
len(children), refused
"""


def test_a_fork_bomb_is_capped(context_file):
    async def body():
        worker = await start_worker(context_file(), max_processes=32)
        try:
            bomb = await worker.execute(FORK_BOMB, timeout_s=20)
            return bomb, await worker.execute("'alive'")
        finally:
            await worker.close()

    bomb, after = run(body())
    assert bomb.error is None, bomb.error
    forked, refused = eval(bomb.stdout)
    assert 0 < forked < 32, f"{forked} forks succeeded with a cap of 32"
    assert refused == 11  # EAGAIN from RLIMIT_NPROC
    assert after.stdout == "'alive'\n"


def test_a_cell_that_swallows_an_interrupt_is_killed_after_a_grace_period(context_file):
    code = "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass"

    handler, started = started_signal()

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            swallowing = code.replace("time.sleep(5)", "llm_query('started')\n        time.sleep(5)")  # inside the try
            task = asyncio.ensure_future(worker.execute(swallowing, timeout_s=60))
            await started.wait()
            await worker.interrupt()
            result = await task
            return result, await worker.execute("'fresh'"), worker.restarts
        finally:
            await worker.close()

    result, after, restarts = run(body())
    assert result.interrupted and "ignored the interrupt" in result.crashed and restarts == 1
    assert after.stdout == "'fresh'\n"
