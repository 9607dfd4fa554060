"""llm_query / llm_query_batched / rlm_query reaching a real async handler in the app process."""

import asyncio

from .helpers import run, start_worker


class QuotaExceeded(Exception):
    kind = "rate_limit"


def test_llm_query_and_rlm_query_reach_the_async_handler(context_file):
    calls = []

    async def handler(kind, payload):
        calls.append((kind, payload))
        await asyncio.sleep(0.01)
        if kind == "rlm_query":
            return f"child saw {payload['context']!r}"
        return payload["prompt"].upper()

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            return await worker.execute(
                "a = llm_query('hello', model='small')\nb = rlm_query('sum up', context={'doc': [1, 2]})\na, b")
        finally:
            await worker.close()

    result = run(body())
    assert result.error is None
    assert result.stdout.strip() == "('HELLO', \"child saw {'doc': [1, 2]}\")"
    assert calls == [("llm_query", {"prompt": "hello", "model": "small"}),
                     ("rlm_query", {"prompt": "sum up", "context": {"doc": [1, 2]}})]


def test_a_failing_call_raises_a_catchable_subcall_error_with_its_kind(context_file):
    async def handler(kind, payload):
        raise QuotaExceeded("too many requests, retry in 20 s")

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            caught = await worker.execute(
                "try:\n    llm_query('x')\nexcept SubcallError as e:\n    print(e.kind, '|', e.message)")
            uncaught = await worker.execute("rlm_query('y')")
            return caught, uncaught
        finally:
            await worker.close()

    caught, uncaught = run(body())
    assert caught.error is None
    assert caught.stdout == "rate_limit | too many requests, retry in 20 s\n"
    assert uncaught.error["type"] == "SubcallError"
    assert "rate_limit" in uncaught.error["message"]


def test_one_failed_batch_item_raises_only_for_that_item(context_file):
    async def handler(kind, payload):
        assert kind == "llm_query_batched" and payload["model"] is None
        await asyncio.sleep(0.01)
        return [QuotaExceeded("slow down") if prompt == "bad" else f"ok:{prompt}" for prompt in payload["prompts"]]

    code = """
results = llm_query_batched(['a', 'bad', 'c'])
print(results[0], results[2], results.ok(1), results.get(1, 'fallback'))
try:
    results[1]
except SubcallError as e:
    print('item', e.index, e.kind)
seen = []
try:
    for item in results:
        seen.append(item)
except SubcallError:
    seen.append('stopped')
print(seen)
raw = llm_query_batched(['a', 'bad'], return_exceptions=True)
print(raw[0], type(raw[1]).__name__, raw[1].kind)
"""

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            return await worker.execute(code)
        finally:
            await worker.close()

    result = run(body())
    assert result.error is None, result.error
    assert result.stdout.splitlines() == [
        "ok:a ok:c False fallback", "item 1 rate_limit", "['ok:a', 'stopped']", "ok:a SubcallError rate_limit"]


def test_batched_calls_run_concurrently_in_the_app(context_file):
    semaphore_peak = {"now": 0, "max": 0}

    async def handler(kind, payload):
        async def one(prompt):
            semaphore_peak["now"] += 1
            semaphore_peak["max"] = max(semaphore_peak["max"], semaphore_peak["now"])
            await asyncio.sleep(0.1)
            semaphore_peak["now"] -= 1
            return prompt
        return await asyncio.gather(*(one(p) for p in payload["prompts"]))

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            return await worker.execute("len(llm_query_batched([str(i) for i in range(20)]))")
        finally:
            await worker.close()

    result = run(body())
    assert result.stdout.strip() == "20"
    assert semaphore_peak["max"] == 20  # all 20 were in flight at once (their speed is a benchmark)


def test_threads_in_model_code_can_have_several_requests_outstanding(context_file):
    """Each answer waits until all five requests are outstanding: done one at a time, the first would wait
    forever and the cell would hit its time limit."""
    outstanding = {"n": 0}
    all_in = asyncio.Event()

    async def handler(kind, payload):
        outstanding["n"] += 1
        if outstanding["n"] == 5:
            all_in.set()
        await all_in.wait()
        return payload["prompt"]

    code = """
import threading
answers = {}
def ask(i):
    answers[i] = llm_query(f'q{i}')
threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
for t in threads: t.start()
answers['main'] = llm_query('from main')
for t in threads: t.join()
sorted(answers.items(), key=str)
"""

    async def body():
        worker = await start_worker(context_file(), handler=handler)
        try:
            return await worker.execute(code, timeout_s=30)
        finally:
            await worker.close()

    result = run(body())
    assert result.error is None, result.error
    assert result.stdout.strip() == "[('main', 'from main'), (0, 'q0'), (1, 'q1'), (2, 'q2'), (3, 'q3')]"


def test_bad_arguments_fail_in_the_cell_with_a_clear_message(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return [await worker.execute(code) for code in (
                "llm_query(123)", "rlm_query('x', context=object())", "llm_query_batched(['a', None])")]
        finally:
            await worker.close()

    not_text, bad_context, bad_item = run(body())
    assert not_text.error["type"] == "TypeError" and "prompt as text" in not_text.error["message"]
    assert bad_context.error["type"] == "TypeError" and "context must be" in bad_context.error["message"]
    assert bad_item.error["type"] == "TypeError" and "prompt 1" in bad_item.error["message"]
