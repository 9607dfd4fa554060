"""Helpers for sandbox tests: real worker subprocesses under real bwrap (or the process fallback)."""

import asyncio

from rlm_studio.sandbox import SandboxLimits, Worker


async def echo_handler(kind, payload):
    if kind == "llm_query":
        return f"echo:{payload['prompt']}"
    if kind == "llm_query_batched":
        return [f"echo:{prompt}" for prompt in payload["prompts"]]
    return f"child:{payload['prompt']}"


def run(coroutine, timeout=45.0):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def start_worker(context_path=None, handler=echo_handler, isolation="bwrap", **limits):
    return await Worker.start(context_path=context_path, handler=handler, isolation=isolation,
                              limits=SandboxLimits(**limits) if limits else None)
