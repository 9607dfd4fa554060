"""Soak: 200 runs of randomly chosen hostile cells through the real sandbox, scripted root models and a
real SQLite store, in a host process that holds a fake API key. The host never dies, every stored run is
complete and true, and the key is nowhere: not in the database (texts decompressed), nor in exports."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.storage import Store

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = "sk-soak" + "K3" * 20  # built at run time so the source holds no key-shaped string
RUNS = int(os.environ.get("RLM_SOAK_RUNS", "200"))


def _key_places(db: Path, exports: Path) -> list[str]:
    places = [str(path) for path in [*db.parent.glob(db.name + "*"), *exports.iterdir()]
              if FAKE_KEY.encode() in path.read_bytes()]
    store = Store.open(db)
    try:
        digests = [row[0] for row in sqlite3.connect(db).execute("SELECT hash FROM blobs")]
        places += [f"blob {digest}" for digest in digests if FAKE_KEY in store.get_blob(digest)]
    finally:
        store.close()
    return places


@pytest.mark.slow
def test_soak_hostile_cells_never_crash_the_host_lose_a_run_or_leak_a_key(tmp_path):
    db = tmp_path / "soak.db"
    work = tmp_path / "scripts"
    work.mkdir()
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "ANTHROPIC_API_KEY": FAKE_KEY, "PYTHONPATH": str(ROOT),
           "RLM_STUDIO_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "tests.soak.soak_driver", str(db), str(work), str(RUNS), "20261201"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    host_died = done.returncode != 0
    assert not host_died, f"the host exited with {done.returncode}: {done.stderr[-4000:]}"
    report = json.loads(done.stdout.splitlines()[-1])

    exports = tmp_path / "exports"
    exports.mkdir()
    store = Store.open(db)
    try:
        for run_id in report["run_ids"]:
            for fmt in ("rlm-studio", "official"):
                store.export_run(run_id, exports / f"{run_id}-{fmt}.jsonl", format=fmt)
    finally:
        store.close()
    keys_found = _key_places(db, exports)
    figures = {"hostile cases tried": report["hostile_cases_tried"],
               "distinct hostile cases": report["distinct_hostile_cases"], "runs": report["runs"],
               "host crashes": len(report["host_failures"]) + int(host_died),
               "runs with a false status": len(report["false_status"]), "keys found": len(keys_found),
               "isolation": report["isolation"], "statuses": report["statuses"]}
    print("soak figures:", json.dumps(figures))
    assert report["runs"] == RUNS
    assert report["host_failures"] == [], report["host_failures"][:3]
    assert report["false_status"] == [], report["false_status"][:5]
    assert keys_found == []
