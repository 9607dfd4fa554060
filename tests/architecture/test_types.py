"""The static type check is part of the test suite: `mypy` (strict, configured in pyproject.toml) over the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900)


@pytest.mark.slow
def test_the_package_passes_strict_mypy() -> None:
    result = _mypy("--config-file", str(ROOT / "pyproject.toml"), "rlm_studio")
    assert result.returncode == 0 and "Success" in result.stdout, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_configuration_rejects_an_untyped_function(tmp_path: Path) -> None:
    """The same configuration fails on code that strict mode forbids, so the check above can fail."""
    package = tmp_path / "rlm_studio"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "loose.py").write_text("def add(a, b):\n    return a + b\n")
    result = _mypy("--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
                   "rlm_studio", cwd=tmp_path)
    assert result.returncode == 1 and "no-untyped-def" in result.stdout, result.stdout + result.stderr
