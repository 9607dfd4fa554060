"""The plain-process fallback: a hostile cell looks for the app's API key everywhere /proc lets it look."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = "sk-proc" + "Q7" * 20  # built at run time so the source holds no key-shaped string

HUNT = r"""
import os, stat
found, read, refused = [], 0, 0
def look(path):
    global read, refused
    try:
        with open(path, 'rb') as f:
            data = f.read(1 << 22)
    except OSError:
        refused += 1
        return
    read += 1
    if KEY in data:
        found.append(path)
me = os.getpid()
ancestors, pid = [], me
for _ in range(6):
    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
    if pid <= 1:
        break
    ancestors.append(pid)
for entry in os.listdir('/proc'):
    if entry.isdigit() and int(entry) != me:
        for name in ('environ', 'cmdline'):
            look(f'/proc/{entry}/{name}')
for pid in ancestors:
    for name in ('environ', 'cmdline', 'mem', 'maps', 'stack'):
        look(f'/proc/{pid}/{name}')
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                regular = stat.S_ISREG(os.stat(f'/proc/{pid}/fd/{fd}').st_mode)  # pipes and sockets would block
            except OSError:
                regular = False
            if regular:
                look(f'/proc/{pid}/fd/{fd}')
    except OSError:
        refused += 1
status = dict(line.split(':\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\t' in line)
print((found, read, refused, len(ancestors), int(status['CapEff'], 16), int(status['CapBnd'], 16)))
"""

HOST = """
import asyncio, json, sys
from rlm_studio.sandbox import SandboxLimits, Worker

async def handler(kind, payload):
    return 'unused'

async def main():
    worker = await Worker.start(context_path=None, handler=handler, isolation='process',
                                limits=SandboxLimits(cell_timeout_s=60))
    try:
        result = await worker.execute(sys.stdin.read())
    finally:
        await worker.close()
    print(json.dumps({'stdout': result.stdout, 'error': result.error, 'warning': worker.warning}))

asyncio.run(main())
"""


def test_a_cell_in_the_process_fallback_cannot_read_the_apps_key():
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "PYTHONPATH": str(ROOT)}  # in the host's initial environment
    done = subprocess.run([sys.executable, "-c", HOST], input=HUNT.replace("KEY", repr(FAKE_KEY.encode())),
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert FAKE_KEY not in done.stdout and FAKE_KEY not in done.stderr
    report = json.loads(done.stdout)
    assert report["error"] is None, report["error"]
    found, read, refused, ancestors, effective, bounding = eval(report["stdout"])
    assert found == []
    assert effective == 0
    if os.geteuid() == 0:
        assert bounding == 0  # the shim gave up every capability: none to read around the non-dumpable app
    assert ancestors >= 2 and read > 0 and refused > 0  # it did reach the shim and the app, and was refused there
    warning = report["warning"]
    assert "Protected:" in warning and "Not protected:" in warning and "environment" in warning
    assert "network" in warning and "file" in warning
