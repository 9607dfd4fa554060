"""Run code as an unprivileged user (uid 65534) when the tests run as root.

The checkout may sit where that user cannot read (a fresh clone under a private `mktemp -d`
folder, mode 0700), and so may the venv and the Python installation (pyenv under /root): what the
code needs is copied to a world-readable temporary folder, and the interpreter is one that user can
run (the base interpreter, else the system's python3 of the same minor version).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _runs_as_nobody(python: str) -> bool:
    """True when uid 65534 can run `python` as a complete installation of this Python version."""
    check = f"import sys, json; assert sys.version_info[:2] == {tuple(sys.version_info[:2])}; import json, asyncio, ctypes"
    try:
        done = subprocess.run([*NOBODY, python, "-I", "-c", check], capture_output=True, timeout=60, cwd="/",
                              env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def nobody_python() -> str | None:
    """An interpreter uid 65534 can run, or None (then the caller skips)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (str(Path(sys.base_prefix) / "bin" / version), f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if os.path.exists(candidate) and _runs_as_nobody(candidate):
            return candidate
    return None


def readable_copy(paths: list[str], modules: tuple[str, ...] = ()) -> Path:
    """A world-readable temporary folder holding `paths` (relative to the checkout) and the installed
    `modules` (packages from this venv, under site/). The caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix="rlm-nobody-"))
    folder.chmod(0o755)
    for relative in paths:
        source = ROOT / relative
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_IGNORE)
        else:
            shutil.copy2(source, target)
    site = folder / "site"
    site.mkdir()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, site / origin.parent.name, ignore=_IGNORE)
            libs = origin.parent.parent / f"{origin.parent.name}.libs"  # auditwheel's bundled libraries
            if libs.is_dir():
                shutil.copytree(libs, site / libs.name)
        else:
            shutil.copy2(origin, site / origin.name)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    return folder


def run_as_nobody(python: str, args: list[str], folder: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python args...` as uid 65534 in `folder`, with the copied code and packages on its path."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8", "TMPDIR": "/tmp",
           "PYTHONPATH": f"{folder}:{folder / 'site'}", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([*NOBODY, python, *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=timeout)
