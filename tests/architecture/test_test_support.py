"""Test support is imported as modules of the `tests` package (tests/support/...), never through `conftest`
or a folder pytest happens to put on sys.path: such imports break when two test folders run in one command."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def _stray_imports(path: Path, local_modules: set[str]) -> list[str]:
    """`import conftest`, a sibling module imported by its bare name, or sys.path edited in code."""
    problems = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top == "conftest" or top in local_modules:
                problems.append(f"{where}:{node.lineno}: imports {name!r} by its bare name")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("insert", "append") and ast.unparse(node.func.value) == "sys.path"):
            problems.append(f"{where}:{node.lineno}: edits sys.path")
    return problems


def test_no_test_imports_conftest_or_a_module_by_a_path_pytest_added() -> None:
    files = sorted(TESTS.rglob("*.py"))
    local = {p.stem for p in files if p.parent != TESTS and p.stem not in ("__init__", "conftest")}
    problems = [p for f in files for p in _stray_imports(f, local)]
    assert problems == [], "\n".join(problems)


def test_the_check_sees_the_imports_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad_imports.py"
    bad.write_text("import sys\nfrom conftest import X\nfrom sample_runs import y\nimport tests.support.files\n"
                   "sys.path.insert(0, 'x')\nprint('sys.path.insert(0, x)')\n", encoding="utf-8")
    found = _stray_imports(bad, {"sample_runs", "files"})
    assert len(found) == 3 and "conftest" in found[0] and "sample_runs" in found[1] and "sys.path" in found[2]


def test_storage_ui_and_documents_tests_collect_in_one_command() -> None:
    """The reported failure: tests/storage with a tests/ui file in one pytest run failed at collection."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "tests/storage", "tests/ui/test_tree_model.py", "tests/documents/test_documents_formats.py",
                          "tests/cli/test_cli_unexpected_errors.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "error" not in out.stdout.lower().split("collected")[-1], out.stdout[-2000:]
