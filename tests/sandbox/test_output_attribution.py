"""Output belongs to the cell that produced it: a thread a cell started and left running prints into no
later cell's output; the next result counts it as dropped background output."""

from __future__ import annotations

from .helpers import run, start_worker

START_LATE_PRINTER = """
import threading
go, printed = threading.Event(), threading.Event()
def late():
    go.wait()
    print('late line from cell 1')
    printed.set()
threading.Thread(target=late, daemon=True).start()
print('cell 1 itself')
"""

RELEASE_IT = "go.set()\nprinted.wait(30)\nprint('cell 2 itself')"

JOINED_THREADS = """
import threading
def inner():
    print('from a grandchild thread')
def outer():
    t = threading.Thread(target=inner)
    t.start()
    t.join()
    print('from a child thread')
t = threading.Thread(target=outer)
t.start()
t.join()
"""


def test_a_background_thread_of_an_earlier_cell_never_prints_into_a_later_one(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            first = await worker.execute(START_LATE_PRINTER)
            second = await worker.execute(RELEASE_IT)
            third = await worker.execute("print('cell 3')")
            return first, second, third
        finally:
            await worker.close()

    first, second, third = run(body())
    assert first.stdout == "cell 1 itself\n"
    assert second.stdout == "cell 2 itself\n"  # not "late line from cell 1"
    assert second.background_chars == len("late line from cell 1\n")
    assert third.stdout == "cell 3\n" and third.background_chars == 0


def test_threads_a_cell_starts_and_joins_print_into_that_cell(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(JOINED_THREADS)
        finally:
            await worker.close()

    result = run(body())
    assert result.stdout == "from a grandchild thread\nfrom a child thread\n"
    assert result.background_chars == 0
