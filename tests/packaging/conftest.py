"""The frozen app (PyInstaller, one folder) and its Debian package, each built once per test session.

The build time, folder size and package size are printed at the end of the session and written to
benchmarks/results/packaging.json (the figures in the README's Install section come from there).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import folder_size

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, float] = {}
BUILD_TIMEOUT_S = 900


@dataclass(frozen=True)
class FrozenApp:
    folder: Path
    exe: Path


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrozenApp]:
    """Removed at the end of the session (half a gigabyte)."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed in this environment: scripts/setup-venv test,local,package "
                    "(or .venv/bin/pip install 'pyinstaller>=6.10,<7')")
    prebuilt = os.environ.get("RLM_STUDIO_FROZEN_APP")  # a folder from scripts/package, to iterate on these tests
    if prebuilt:
        folder = Path(prebuilt).resolve()
        assert (folder / "rlm-studio").is_file(), f"RLM_STUDIO_FROZEN_APP={prebuilt} has no rlm-studio executable"
        FIGURES["folder_mb"] = round(folder_size(folder) / 1e6, 1)
        yield FrozenApp(folder=folder, exe=folder / "rlm-studio")
        return
    base = tmp_path_factory.mktemp("frozen")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", str(base / "dist"),
         "--workpath", str(base / "work"), str(ROOT / "packaging" / "rlm-studio.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    FIGURES["build_s"] = round(time.perf_counter() - started, 1)
    assert done.returncode == 0, f"PyInstaller failed:\n{done.stderr[-6000:]}"
    shutil.rmtree(base / "work", ignore_errors=True)
    folder = base / "dist" / "rlm-studio"
    FIGURES["folder_mb"] = round(folder_size(folder) / 1e6, 1)
    yield FrozenApp(folder=folder, exe=folder / "rlm-studio")
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def deb_package(frozen_app: FrozenApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The .deb, compressed fast (gzip -1) to keep the suite short; scripts/package uses gzip -9."""
    out = tmp_path_factory.mktemp("deb")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_deb.py"), str(frozen_app.folder), str(out),
         "--compression", "gzip", "--level", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    FIGURES["deb_build_s"] = round(time.perf_counter() - started, 1)
    deb = Path(done.stdout.strip())
    FIGURES["deb_mb_gzip1"] = round(deb.stat().st_size / 1e6, 1)
    yield deb
    shutil.rmtree(out, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "packaging figures")
    terminalreporter.write_line(json.dumps(FIGURES))
    results = ROOT / "benchmarks" / "results"
    try:
        results.mkdir(parents=True, exist_ok=True)
        (results / "packaging.json").write_text(json.dumps(FIGURES, indent=1) + "\n", encoding="utf-8")
    except OSError:
        pass
