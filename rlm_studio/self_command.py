"""How RLM Studio re-invokes itself for its helper processes, from a source install or a frozen app.

From a source install the helpers are Python programs: the sandbox worker is
`python -I -S worker_main.py ...` (stdlib only, the base interpreter) and the bundled model's server is
`python -m llama_cpp.server ...` (the venv's interpreter). A frozen (PyInstaller) app has no `python`:
its own executable stands in for it and understands those same forms of Python's command line,
`-I -S SCRIPT ARGS...`, `-I -S -c CODE` and `-m MODULE ARGS...`. `dispatch()` serves them first thing,
before the CLI, Qt or litellm are imported, so a sandbox worker starts in a fraction of a second.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller build."""
    return bool(getattr(sys, "frozen", False))


def stdlib_python() -> str:
    """The executable that runs stdlib-only scripts such as the sandbox worker.

    Source install: the base interpreter (not the venv's), so the sandbox needs only the Python
    installation. Frozen app: the app's own executable (see `dispatch`).
    """
    if is_frozen():
        return os.path.realpath(sys.executable)
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else os.path.realpath(sys.executable)


def stdlib_python_home() -> str:
    """The folder `stdlib_python()` needs to run: bound read-only into the sandbox.

    Source install: the Python installation (sys.base_prefix). Frozen app: the app's folder (the
    executable and its `_internal/` libraries).
    """
    if is_frozen():
        return os.path.dirname(os.path.realpath(sys.executable))
    return os.path.realpath(sys.base_prefix)


def module_python() -> str:
    """The executable for `-m MODULE` helpers (the bundled model's server): this interpreter, or the frozen app."""
    return sys.executable


def dispatch(argv: list[str]) -> int | None:
    """In a frozen app, run a helper given in Python's command-line form and return its exit code.

    None when `argv` is an ordinary RLM Studio command line (or the app is not frozen): the caller goes on
    to the CLI. A helper's SystemExit ends the process as it would under Python.
    """
    if not is_frozen():
        return None
    if argv[:3] == ["-I", "-S", "-c"] and len(argv) >= 4:
        sys.argv = ["-c", *argv[4:]]
        exec(compile(argv[3], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        return 0
    if argv[:2] == ["-I", "-S"] and len(argv) >= 3:
        script = os.path.abspath(argv[2])
        sys.argv = [script, *argv[3:]]
        sys.path.insert(0, os.path.dirname(script))
        runpy.run_path(script, run_name="__main__")
        return 0
    if argv[:1] == ["-m"] and len(argv) >= 2:
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    return None
