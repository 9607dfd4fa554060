"""start_eagerly: synchronous completion, suspension handed to a Task, results, errors and cancellation."""

import asyncio

import pytest

from rlm_studio.sandbox.eager import start_eagerly


def test_a_coroutine_that_never_waits_finishes_in_the_call():
    seen = []

    async def instant():
        seen.append(1)

    async def main():
        assert start_eagerly(instant()) is None
        assert seen == [1]

    asyncio.run(main())


def test_a_coroutine_that_waits_is_finished_by_a_task_with_its_result():
    order = []

    async def waits():
        order.append("before")
        await asyncio.sleep(0.01)
        order.append("after")
        return 42

    async def main():
        task = start_eagerly(waits())
        assert order == ["before"] and task is not None
        assert await task == 42 and order == ["before", "after"]

    asyncio.run(main())


def test_errors_and_cancellation_reach_the_coroutine():
    cleaned = []

    async def fails():
        await asyncio.sleep(0)
        raise ValueError("boom")

    async def slow():
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.append("finally ran")

    async def main():
        with pytest.raises(ValueError, match="boom"):
            await start_eagerly(fails())
        task = start_eagerly(slow())  # already waiting inside slow(): it ran up to its first suspension
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["finally ran"]

    asyncio.run(main())
