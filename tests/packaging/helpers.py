"""Running the frozen executable the way a user's shell or desktop would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

VAULT_DOC = "line\n" * 2000 + "The vault code is 7731.\n" + "line\n" * 2000


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def app_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's desktop environment with nothing from this checkout or its venv in it."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen", "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
    env.update(extra)
    return env


# What model-written code commonly imports: a frozen worker must have it as the base interpreter does.
CELL_STDLIB = ("collections", "statistics", "difflib", "textwrap", "csv", "heapq", "fractions", "decimal", "datetime",
               "random", "hashlib", "unicodedata", "itertools", "functools", "string", "math", "bisect", "pprint",
               "xml.etree.ElementTree", "email.parser", "html.parser", "urllib.parse", "concurrent.futures",
               "zoneinfo", "sqlite3", "gzip", "base64", "dataclasses", "typing", "calendar", "shlex", "fnmatch")
# The root model's code runs in the sandbox worker; it reports which interpreter ran it.
PROBE_SCRIPT = {"responses": [
    "```repl\nimport importlib, re, sys\n"
    f"for name in {CELL_STDLIB!r}:\n    importlib.import_module(name)\n"
    "code = re.search(r'vault code is (\\d+)', context).group(1)\n"
    "report = code + '|' + sys.executable + '|' + str(getattr(sys, 'frozen', False))\n```",
    "FINAL_VAR(report)"]}


def write_inputs(tmp_path: Path, script: dict[str, Any] = PROBE_SCRIPT) -> tuple[Path, str]:
    doc = tmp_path / "log.txt"
    doc.write_text(VAULT_DOC, encoding="utf-8")
    model = tmp_path / "root.json"
    model.write_text(json.dumps(script), encoding="utf-8")
    return doc, f"script:{model}"


def run_app(exe: Path, *args: str, home: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout,
                          env=app_env(home, **env), cwd=str(home))


def smoke_report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no report on stdout:\n{done.stdout}\n{done.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    return report
