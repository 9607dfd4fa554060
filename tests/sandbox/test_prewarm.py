"""A worker started for a context file before its run (sandbox.prewarm): the run with the same file and
worker-side limits takes it, ready, serving the run's own handler and cell timeout; anything else gets None,
and a worker no run will take is closed. Real bwrap workers throughout."""

import asyncio

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.sandbox import FileContext, SandboxLimits, prewarm

from .helpers import echo_handler, run, worker_exited


def _document(tmp_path, name="doc.txt", lines=2000):
    path = tmp_path / name
    path.write_text("".join(f"line {i}: Chloé ✓\n" for i in range(lines)), encoding="utf-8")
    return FileContext.from_text_files([(name, path)], tmp_path / f"{name}.ctx")


def _held_task():
    assert prewarm.held() == 1
    return prewarm._held[0].task


def test_the_run_with_the_same_file_and_limits_takes_the_ready_worker_with_its_own_handler(tmp_path):
    context = _document(tmp_path)
    calls = []

    async def handler(kind, payload):
        calls.append((kind, payload["prompt"]))
        return await echo_handler(kind, payload)

    async def go():
        prewarm.prewarm(context.path, SandboxLimits(cell_timeout_s=60), "bwrap")
        started = await _held_task()          # it starts (and decodes the context) with no run asking for it
        assert started._alive()
        worker = await prewarm.take(context.path, SandboxLimits(cell_timeout_s=0.5), "bwrap", handler)
        try:
            assert worker is started and prewarm.held() == 0
            result = await worker.execute("print(len(context), context.splitlines()[1234])\nprint(llm_query('hi'))")
            assert result.error is None, result
            assert result.stdout.splitlines() == [f"{context.total_chars} line 1234: Chloé ✓", "echo:hi"]
            assert calls == [("llm_query", "hi")]
            slow = await worker.execute("import time\ntime.sleep(30)")   # the run's timeout, not the prewarm's
            assert slow.timed_out
            assert await prewarm.take(context.path, SandboxLimits(), "bwrap", handler) is None   # taken once
        finally:
            await worker.close()

    run(go(), timeout=90)


def test_other_limits_get_none_and_the_worker_held_for_that_file_is_closed(tmp_path):
    context = _document(tmp_path)

    async def go():
        prewarm.prewarm(context.path, SandboxLimits(memory_mb=4096), "bwrap")
        held = await _held_task()
        assert await prewarm.take(context.path, SandboxLimits(memory_mb=2048), "bwrap", echo_handler) is None
        assert prewarm.held() == 0 and await worker_exited(held)

    run(go(), timeout=60)


def test_a_new_document_replaces_the_held_worker_and_discard_closes_it(tmp_path):
    first, second = _document(tmp_path, "a.txt"), _document(tmp_path, "b.txt")

    async def go():
        limits = SandboxLimits()
        prewarm.prewarm(first.path, limits, "bwrap")
        old = await _held_task()
        prewarm.prewarm(second.path, limits, "bwrap")
        assert await worker_exited(old)
        assert await prewarm.take(first.path, limits, "bwrap", echo_handler) is None
        new = await _held_task()
        prewarm.prewarm(second.path, limits, "bwrap")          # the same again: kept, not restarted
        assert await _held_task() is new and new._alive()
        prewarm.discard()
        assert prewarm.held() == 0 and await worker_exited(new)

    run(go(), timeout=60)


def test_a_run_on_the_file_context_runs_its_cells_in_the_prewarmed_worker(tmp_path):
    import json

    context = _document(tmp_path)
    script = tmp_path / "root.json"
    script.write_text(json.dumps({"responses": ["```repl\nprint(len(context))\n```", "FINAL(done)"]}))
    settings = RunSettings(root_model=f"script:{script}", max_iterations=2, isolation="bwrap")

    async def go():
        prewarm.prewarm(context.path, SandboxLimits(memory_mb=settings.sandbox_memory_mb,
                                                    cell_timeout_s=settings.cell_timeout_s), "bwrap")
        held = await _held_task()
        events = []
        result = await RlmSession("How long?", context, settings, sinks=[events.append]).run()
        assert result.status == "completed", result
        assert [e.stdout.strip() for e in events if e.kind == "cell_finished"] == [str(context.total_chars)]
        assert prewarm.held() == 0 and await worker_exited(held)      # the run took it, and closed it when it ended

    run(go(), timeout=90)


def _children():
    """Live (not yet reaped, not zombie) child processes of this process, from every thread's children list."""
    import os
    from pathlib import Path

    pids = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except OSError:
            continue
    return alive


def test_a_prewarm_discarded_while_its_worker_starts_leaves_no_process(tmp_path):
    context = _document(tmp_path, lines=200_000)

    async def go():
        before = _children()
        prewarm.prewarm(context.path, SandboxLimits(), "bwrap")
        task = _held_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not (_children() - before) and not task.done() and loop.time() < deadline:
            await asyncio.sleep(0.001)          # until its process exists
        assert not task.done(), "the worker was ready before the test could discard it"
        prewarm.discard()
        await asyncio.gather(task, return_exceptions=True)
        while (_children() - before) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert not (_children() - before)

    run(go(), timeout=60)


def test_a_prewarmed_worker_that_died_while_it_waited_is_not_given_to_the_run(tmp_path):
    """Its first cell would otherwise report a crash "between cells" the run never had: the run starts its own."""
    context = _document(tmp_path)

    async def go():
        limits = SandboxLimits()
        prewarm.prewarm(context.path, limits, "bwrap")
        held = await _held_task()
        held._connection.process.kill()
        await asyncio.to_thread(held._connection.process.wait)
        assert await prewarm.take(context.path, limits, "bwrap", echo_handler) is None
        assert prewarm.held() == 0

    run(go(), timeout=60)
