"""The same seed gives the same tasks in another process (resume rebuilds tasks from the stored plan)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import hashlib, json
from rlm_studio.bench.suites import build_tasks
out = {}
for family in ("sniah", "sniah-multikey", "oolong", "oolong-pairs", "browsecomp", "codeqa"):
    for t in build_tasks(family, [8192], 2, 7):
        blob = json.dumps([t.context, t.question, t.answers], sort_keys=True)
        out[t.id] = hashlib.sha256(blob.encode()).hexdigest()
print(json.dumps(out, sort_keys=True))
"""


def _digests(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_tasks_are_the_same_in_another_process_with_another_hash_seed():
    first, second = _digests("1"), _digests("4242")
    assert first == second and len(first) > 100
