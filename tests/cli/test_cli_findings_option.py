"""`rlm-studio runs --finding KIND` (the older `--flag KIND` still works, hidden from --help): a real subprocess and database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


def test_runs_with_a_finding_by_either_option_name(tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("some text\n")
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps({"rules": [], "default": "```repl\nundefined_name + 1\n```"}))
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"responses": ["```repl\nFINAL(len(context))\n```"]}))
    db = str(tmp_path / "runs.db")
    bad = json.loads(cli("run", "-c", str(doc), "-q", "q", "--root-model", f"script:{failing}",
                         "--max-iterations", "3", "--json", "--db", db).stdout)
    good = json.loads(cli("run", "-c", str(doc), "-q", "q", "--root-model", f"script:{clean}", "--json",
                          "--db", db).stdout)
    assert good["status"] == "completed" and bad["status"] == "limit_hit"
    by_finding = json.loads(cli("runs", "--finding", "repeated_errors", "--json", "--db", db).stdout)
    by_flag = json.loads(cli("runs", "--flag", "repeated_errors", "--json", "--db", db).stdout)
    assert [r["run_id"] for r in by_finding] == [r["run_id"] for r in by_flag] == [bad["run_id"]]
    assert json.loads(cli("runs", "--finding", "no_code", "--json", "--db", db).stdout) == []
    listed = cli("runs", "--db", db)
    assert listed.returncode == 0 and "repeated_errors" in listed.stdout
    usage = cli("runs", "--help")
    assert "--finding KIND" in usage.stdout and "flag" not in usage.stdout   # --flag works, hidden
