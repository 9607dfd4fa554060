"""Time limits, host interrupts, memory and process caps: the cell fails, the worker and the app live on."""

import asyncio
import time

from .helpers import run, start_worker


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
        assert 450 < stopped.duration_ms < 1500
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
            started = time.perf_counter()
            stopped = await worker.execute("x = 1\nllm_query('slow')", timeout_s=0.5)
            elapsed = time.perf_counter() - started
            return stopped, elapsed, await worker.execute("x")
        finally:
            await worker.close()

    stopped, elapsed, after = run(body())
    assert stopped.timed_out and elapsed < 1.5
    assert after.stdout == "1\n"


def test_a_cell_that_swallows_the_stop_is_killed_and_the_worker_restarted(context_file):
    code = "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass"

    async def body():
        worker = await start_worker(context_file("ctx survives"))
        try:
            started = time.perf_counter()
            stubborn = await worker.execute(code, timeout_s=0.3)
            elapsed = time.perf_counter() - started
            return stubborn, elapsed, await worker.execute("context"), worker.restarts
        finally:
            await worker.close()

    stubborn, elapsed, after, restarts = run(body())
    assert stubborn.timed_out and "ignored" in stubborn.crashed
    assert elapsed < 4.0
    assert after.stdout == "'ctx survives'\n" and restarts == 1


def test_interrupt_from_the_app_stops_the_running_cell(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            await worker.interrupt()  # idle: nothing happens
            task = asyncio.ensure_future(worker.execute("import time\ny = 5\ntime.sleep(1000)"))
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            await worker.interrupt()
            result = await task
            return result, time.perf_counter() - started, await worker.execute("y")
        finally:
            await worker.close()

    result, elapsed, after = run(body())
    assert result.interrupted and not result.timed_out and result.crashed is None
    assert result.error["type"] == "KeyboardInterrupt"
    assert elapsed < 0.5
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

    async def body():
        worker = await start_worker(context_file())
        try:
            task = asyncio.ensure_future(worker.execute(code, timeout_s=60))
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            await worker.interrupt()
            result = await task
            return result, time.perf_counter() - started, await worker.execute("'fresh'")
        finally:
            await worker.close()

    result, elapsed, after = run(body())
    assert result.interrupted and "ignored the interrupt" in result.crashed
    assert elapsed < 4.0
    assert after.stdout == "'fresh'\n"
