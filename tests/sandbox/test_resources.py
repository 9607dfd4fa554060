"""What a cell can make the machine hold outside the worker's memory limit: the sandbox's /tmp (RAM)
and the worker's stderr on the app side. Both are capped."""

from __future__ import annotations

import asyncio

import pytest

from rlm_studio.sandbox.worker import STDERR_TAIL_BYTES

from .helpers import run, start_worker

FILL_TMP = """
import errno
written, failure = 0, None
block = b'x' * (1 << 20)
with open('/tmp/fill', 'wb', buffering=0) as f:
    for _ in range(LIMIT):
        try:
            f.write(block)
        except OSError as exc:
            failure = exc.errno
            break
        written += 1
written, failure
"""


def test_the_sandbox_tmp_is_capped_at_its_size_limit(context_file):
    async def body():
        worker = await start_worker(context_file(), tmp_size_mb=32)
        try:
            filled = await worker.execute(FILL_TMP.replace("LIMIT", "200"), timeout_s=60)
            freed = await worker.execute("import os\nos.remove('/tmp/fill')\nopen('/tmp/small', 'w').write('ok')")
            return filled, freed
        finally:
            await worker.close()

    filled, freed = run(body(), timeout=90)
    assert filled.error is None, filled.error
    written, failure = eval(filled.stdout)
    assert written <= 32 and failure == 28  # ENOSPC at the cap, not 200 MB of the host's RAM
    assert freed.error is None and freed.stdout == "2\n"


@pytest.mark.parametrize("isolation", ["bwrap", "process"])
def test_the_workers_stderr_is_drained_and_only_its_end_kept(context_file, isolation):
    spam = "import os\nblock = b'e' * (1 << 20)\nfor _ in range(64):\n    os.write(2, block)\nos.write(2, b'THE END')"

    async def body():
        worker = await start_worker(context_file(), isolation=isolation)
        try:
            result = await worker.execute(spam, timeout_s=60)
            after = await worker.execute("'alive'")
            stderr = worker._connection.stderr
            while stderr.total_bytes < (64 << 20) + 7:  # the pipe is drained by the event loop: wait for the last bytes
                await asyncio.sleep(0.01)
            return result, after, stderr.total_bytes, len(stderr.tail), worker._connection.stderr_tail(100)
        finally:
            await worker.close()

    result, after, total, kept, tail = run(body(), timeout=90)
    assert result.error is None and after.stdout == "'alive'\n"
    assert total == (64 << 20) + 7  # the app read all of it (the worker would block on a full pipe otherwise)
    assert kept <= 2 * STDERR_TAIL_BYTES
    assert tail.endswith("THE END")
