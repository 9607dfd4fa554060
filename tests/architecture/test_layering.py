"""The static checks, run for real: import-linter contracts (layers; only ui imports Qt) and ruff.

The contracts live in pyproject.toml (`[tool.importlinter]`); each check is also run on a small package
that breaks it, so a check that silently passes everything would fail here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(extra_env or {})}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=240, env=env)


def test_import_contracts_are_kept() -> None:
    out = _run([str(BIN / "lint-imports"), "--no-cache"], ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_ruff_is_clean() -> None:
    out = _run([str(BIN / "ruff"), "check", "--no-cache", "."], ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def _broken_package(tmp_path: Path) -> Path:
    """A copy of our contract shape over a tiny package where engine imports storage and Qt."""
    pkg = tmp_path / "brokenpkg"
    for layer in ("ui", "storage", "engine"):
        (pkg / layer).mkdir(parents=True)
        (pkg / layer / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "engine" / "bad.py").write_text("import PySide6.QtCore\nimport brokenpkg.storage\n")
    (pkg / "ui" / "fine.py").write_text("import PySide6.QtCore\nimport brokenpkg.engine\n")
    config = tmp_path / "contracts.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_package = "brokenpkg"
        include_external_packages = true

        [[tool.importlinter.contracts]]
        name = "Layers"
        type = "layers"
        layers = ["brokenpkg.ui", "brokenpkg.storage", "brokenpkg.engine"]

        [[tool.importlinter.contracts]]
        name = "Only ui imports Qt"
        type = "forbidden"
        source_modules = ["brokenpkg.storage", "brokenpkg.engine"]
        forbidden_modules = ["PySide6"]
        allow_indirect_imports = true
    """))
    return config


def test_the_contracts_catch_a_package_that_breaks_them(tmp_path: Path) -> None:
    config = _broken_package(tmp_path)
    out = _run([str(BIN / "lint-imports"), "--no-cache", "--config", str(config)], tmp_path,
               {"PYTHONPATH": str(tmp_path)})
    assert out.returncode != 0, out.stdout
    assert "2 broken" in out.stdout, out.stdout
    assert "brokenpkg.engine.bad -> brokenpkg.storage" in out.stdout
    assert "brokenpkg.engine.bad -> PySide6" in out.stdout


def test_ruff_flags_a_file_that_breaks_its_rules(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "bad.py").write_text("import sys, os\nx = [l for l in range(3)]\n")
    out = _run([str(BIN / "ruff"), "check", "--no-cache", "bad.py"], tmp_path)
    assert out.returncode != 0
    assert "F401" in out.stdout and "E741" in out.stdout, out.stdout


def test_core_layers_load_without_qt_or_litellm() -> None:
    """Importing the headless core pulls in neither Qt nor litellm (litellm takes ~5 s to import)."""
    code = ("import sys\n"
            "import rlm_studio.engine.session, rlm_studio.storage, rlm_studio.analysis.tree\n"
            "import rlm_studio.models.registry, rlm_studio.sandbox, rlm_studio.cli.main\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'litellm')]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
