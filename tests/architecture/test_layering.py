"""Imports point down only (ui/cli -> analysis -> storage -> engine -> models/sandbox), and only ui touches Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rlm_studio"

# What each layer may import from the package (itself always allowed).
ALLOWED = {
    "sandbox": set(),
    "models": set(),
    "documents": set(),
    "engine": {"models", "sandbox"},
    "storage": {"engine", "models"},
    "analysis": {"storage", "engine", "models"},
    "cli": {"analysis", "storage", "engine", "models", "sandbox", "documents", "ui"},
    "ui": {"analysis", "storage", "engine", "models", "sandbox", "documents"},
}
QT_MODULES = ("PySide6", "qasync", "shiboken6", "PyQt5", "PyQt6")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _layer_files():
    for layer in ALLOWED:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield layer, path


def violations(package: Path, layer: str) -> list[str]:
    bad = []
    for path in sorted((package / layer).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] in QT_MODULES and layer != "ui":
                bad.append(f"{path.relative_to(package)} imports {name} (Qt belongs in rlm_studio/ui only)")
            if parts[0] == "rlm_studio" and len(parts) > 1 and parts[1] in ALLOWED:
                target = parts[1]
                if target != layer and target not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(package)} imports {name}: {layer} may not import {target}")
    return bad


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down_only(layer):
    bad = violations(PACKAGE, layer)
    assert not bad, "\n".join(bad)


def test_core_layers_load_without_qt_or_litellm():
    """Importing the headless core pulls in neither Qt nor litellm (litellm takes ~5 s to import)."""
    code = ("import sys\n"
            "import rlm_studio.engine.session, rlm_studio.storage, rlm_studio.analysis.tree\n"
            "import rlm_studio.models.registry, rlm_studio.sandbox, rlm_studio.cli.main\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'litellm')]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_the_contract_itself_catches_a_violation(tmp_path):
    engine = tmp_path / "engine"
    engine.mkdir()
    (engine / "bad.py").write_text("from PySide6 import QtCore\nimport rlm_studio.storage.store\n"
                                   "from rlm_studio.models import types\n")
    found = violations(tmp_path, "engine")
    assert len(found) == 2
    assert "Qt belongs in rlm_studio/ui only" in found[0] and "engine may not import storage" in found[1]
