"""Helpers for sandbox tests: real worker subprocesses under real bwrap (or the process fallback)."""

import asyncio
import subprocess

from rlm_studio.sandbox import SandboxLimits, Worker


async def echo_handler(kind, payload):
    if kind == "llm_query":
        return f"echo:{payload['prompt']}"
    if kind == "llm_query_batched":
        return [f"echo:{prompt}" for prompt in payload["prompts"]]
    return f"child:{payload['prompt']}"


async def worker_exited(worker, timeout=60.0):
    """True once the worker's process has exited (closing is asynchronous): waits on the exit itself, in a
    thread; False only if it is still there after `timeout` (a safety limit, not a measure)."""
    process = worker._connection.process

    def wait():
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    return await asyncio.to_thread(wait)


def run(coroutine, timeout=45.0):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def start_worker(context_path=None, handler=echo_handler, isolation="bwrap", **limits):
    return await Worker.start(context_path=context_path, handler=handler, isolation=isolation,
                              limits=SandboxLimits(**limits) if limits else None)
