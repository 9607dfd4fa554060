"""What model code cannot reach under bwrap, crash recovery, and the plain-process fallback."""

import os
import socket
from pathlib import Path

import pytest

from rlm_studio.sandbox import Worker

from .helpers import echo_handler, run, start_worker

NETWORK_PROBE = """
import socket
interfaces = [name for _, name in socket.if_nameindex()]
routes = open('/proc/net/route').read().splitlines()[1:]
results = {'interfaces': interfaces, 'routes': len(routes)}
def attempt(address):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(address)
        return 'connected'
    except OSError as exc:
        return type(exc).__name__
    finally:
        s.close()
results['loopback'] = attempt(('127.0.0.1', PORT))
# Only with no interface but loopback and no route can no packet leave: only then try a public address.
if interfaces == ['lo'] and not routes:
    results['public'] = attempt(('1.1.1.1', 443))
results
"""


def test_no_network_neither_the_apps_loopback_nor_outside(context_file):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(NETWORK_PROBE.replace("PORT", str(port)))
        finally:
            await worker.close()

    try:
        result = run(body())
    finally:
        listener.close()
    assert result.error is None, result.error
    found = eval(result.stdout)
    assert found["interfaces"] == ["lo"] and found["routes"] == 0
    assert found["loopback"] == "ConnectionRefusedError"  # its own empty loopback, not the app's listener
    assert found["public"] == "OSError"  # network unreachable


@pytest.mark.parametrize("isolation", ["bwrap", "process"])
def test_no_api_keys_in_the_environment(context_file, monkeypatch, isolation):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")

    async def body():
        worker = await start_worker(context_file(), isolation=isolation)
        try:
            return await worker.execute("import os\nsorted(os.environ)")
        finally:
            await worker.close()

    names = eval(run(body()).stdout)
    assert not [name for name in names if name.endswith("_API_KEY") or "SECRET" in name]
    assert set(names) <= {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "PYTHONIOENCODING", "PWD"}


def test_home_directory_and_checkout_are_not_visible(context_file):
    checkout_file = str(Path(__file__).resolve())

    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(
                "import os\n(sorted(os.listdir('/root')) if os.path.exists('/root') else [], "
                "os.path.exists(" + repr(checkout_file) + "), "
                "os.path.exists('/work'), sorted(os.listdir('/tmp')), os.getcwd())")
        finally:
            await worker.close()

    root_entries, sees_checkout, sees_work, tmp_entries, cwd = eval(run(body()).stdout)
    assert set(root_entries) <= {".pyenv"}  # only the mount point of the Python installation
    hidden = {p.name for p in Path.home().iterdir()} - {".pyenv"}
    assert not hidden & set(root_entries)
    assert not sees_checkout and not sees_work
    assert tmp_entries == [] and cwd == "/tmp"


def test_read_only_mounts_refuse_writes(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(
                "out = []\nfor p in ('/usr/evil', '/opt/rlm/evil.py', '/run/rlm/context'):\n"
                "    try:\n        open(p, 'w').close(); out.append('wrote')\n"
                "    except OSError as e:\n        out.append(type(e).__name__)\n"
                "open('/tmp/scratch', 'w').write('ok')\nout")
        finally:
            await worker.close()

    outcomes = eval(run(body()).stdout)
    assert "wrote" not in outcomes


def test_kills_aimed_at_pid_1_and_the_parent_cannot_end_the_sandbox(context_file):
    """Inside its pid namespace the worker is pid 2 and its parent is bwrap as pid 1: SIGKILL to the namespace's
    init from inside is refused (another uid, as root) or ignored by the kernel (same uid, user namespace)."""
    async def body():
        worker = await start_worker(context_file("same context"))
        try:
            where = await worker.execute("import os\nkept = 'still here'\nos.getpid(), os.getppid()")
            init = await worker.execute("os.kill(1, 9)")
            parent = await worker.execute("os.kill(os.getppid(), 9)")
            after = await worker.execute("context, kept")
            return where, init, parent, after, worker.restarts
        finally:
            await worker.close()

    where, init, parent, after, restarts = run(body())
    assert where.stdout == "(2, 1)\n"
    for attempt in (init, parent):
        assert attempt.crashed is None
        assert attempt.error is None or attempt.error["type"] == "PermissionError", attempt.error
    assert after.stdout == "('same context', 'still here')\n" and restarts == 0


def test_a_segfault_is_reported_and_the_worker_restarted_with_the_same_context(context_file):
    async def body():
        worker = await start_worker(context_file("same context"))
        try:
            await worker.execute("lost = 1")
            await worker.set_variable("history", ["turn 1"])
            crash = await worker.execute("import ctypes\nctypes.string_at(0)")
            after = await worker.execute("context, 'lost' in globals(), history")
            exited = await worker.execute("import os\nos._exit(3)")
            return crash, after, exited, worker.restarts
        finally:
            await worker.close()

    crash, after, exited, restarts = run(body())
    assert crash.crashed and "SIGSEGV" in crash.crashed and "restarted" in crash.crashed
    assert after.stdout == "('same context', False, ['turn 1'])\n" and after.crashed is None
    assert exited.crashed and "exited with code 3" in exited.crashed
    assert restarts == 2


def test_process_fallback_works_and_says_what_is_not_protected(context_file):
    async def body():
        worker = await Worker.start(context_path=context_file("fallback ctx"), handler=echo_handler,
                                    isolation="process")
        try:
            first = await worker.execute("x = llm_query('hi')\ncontext, x")
            killed_parent = await worker.execute("import os\nos.kill(os.getppid(), 9)\nimport time\ntime.sleep(5)")
            after = await worker.execute("context")
            return worker.isolation, worker.warning, first, killed_parent, after, worker.restarts
        finally:
            await worker.close()

    isolation, warning, first, killed_parent, after, restarts = run(body())
    assert isolation == "process"
    assert "network" in warning and "file" in warning
    assert first.stdout == "('fallback ctx', 'echo:hi')\n"
    assert killed_parent.crashed and restarts == 1
    assert after.stdout == "'fallback ctx'\n"


def test_auto_picks_bwrap_here(context_file):
    async def body():
        worker = await Worker.start(context_path=context_file(), handler=echo_handler)
        try:
            return worker.isolation, worker.warning
        finally:
            await worker.close()

    assert run(body()) == ("bwrap", None)


def test_model_code_runs_without_privileges(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(
                "import os\nstatus = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines()"
                " if ':\\t' in line)\n"
                "try:\n    os.setuid(0)\n    regained = True\nexcept OSError:\n    regained = False\n"  # EINVAL: 0 unmapped in a user ns
                "os.getuid(), status['CapEff'], status['CapPrm'], status['NoNewPrivs'], regained")
        finally:
            await worker.close()

    result = run(body())
    assert result.error is None, result.error
    uid, effective, permitted, no_new_privs, regained = eval(result.stdout)
    assert int(effective, 16) == 0 and int(permitted, 16) == 0
    assert no_new_privs.strip() == "1" and not regained
    if os.geteuid() == 0:
        assert uid != 0


def test_a_bwrap_older_than_0_10_still_starts_the_sandbox_without_a_tmp_cap(context_file, tmp_path):
    """bwrap < 0.10 has no --size: it is not passed (the run's warning says /tmp is uncapped)."""
    from rlm_studio.sandbox import SandboxLimits
    from rlm_studio.sandbox.isolation import OLD_BWRAP_WARNING, bwrap_version, caps_tmp, find_bwrap

    real = find_bwrap()
    old = tmp_path / "bwrap"
    old.write_text("#!/bin/sh\n"
                   "if [ \"$1\" = --version ]; then echo 'bubblewrap 0.8.0'; exit 0; fi\n"
                   "for arg in \"$@\"; do [ \"$arg\" = --size ] && { echo 'bwrap: Unknown option --size' >&2; exit 1; }; done\n"
                   f"exec {real} \"$@\"\n")
    old.chmod(0o755)
    assert bwrap_version(str(old)) == (0, 8, 0) and not caps_tmp(str(old)) and caps_tmp(real)

    async def body():
        worker = Worker(context_path=context_file("old bwrap"), handler=echo_handler, limits=SandboxLimits(),
                        isolation="bwrap", bwrap=str(old), warning=None)
        try:
            await worker._spawn()
            return await worker.execute("context")
        finally:
            await worker.close()

    assert run(body()).stdout == "'old bwrap'\n"
    assert "/tmp" in OLD_BWRAP_WARNING and "0.10" in OLD_BWRAP_WARNING
