"""rlm_studio/self_command.py without a build: a source install keeps `python`, and a frozen app (simulated by
setting sys.frozen in a fresh interpreter) serves Python's command-line forms itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rlm_studio import self_command
from rlm_studio.sandbox.isolation import build_bwrap_argv, python_executable

ROOT = Path(__file__).resolve().parents[2]
FROZEN = "import sys; sys.frozen = True; sys.executable = {exe!r}\nfrom rlm_studio.self_command import dispatch\n"


def frozen(code: str, exe: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FROZEN.format(exe=exe) + code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_source_install_uses_the_base_interpreter_and_dispatches_nothing() -> None:
    assert not self_command.is_frozen()
    assert self_command.dispatch(["-I", "-S", "-c", "raise SystemExit(3)"]) is None
    assert python_executable() == self_command.stdlib_python()
    assert Path(self_command.stdlib_python()).name.startswith("python")
    assert self_command.stdlib_python_home() == os.path.realpath(sys.base_prefix)
    assert self_command.module_python() == sys.executable


def test_frozen_app_runs_code_scripts_and_modules(tmp_path: Path) -> None:
    script = tmp_path / "helper.py"
    (tmp_path / "sibling.py").write_text("VALUE = 'from a sibling file'\n")
    script.write_text("import json, sys\nimport sibling\nprint(json.dumps([sys.argv, sibling.VALUE, __name__]))\n")
    done = frozen(f"raise SystemExit(dispatch(['-I', '-S', {str(script)!r}, 'a', 'b']))")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[str(script), "a", "b"], "from a sibling file", "__main__"]

    done = frozen("raise SystemExit(dispatch(['-I', '-S', '-c', 'import sys; print(sys.argv); raise SystemExit(4)']))")
    assert (done.returncode, done.stdout.strip()) == (4, "['-c']")

    done = subprocess.run([sys.executable, "-c", FROZEN.format(exe=sys.executable)
                           + "raise SystemExit(dispatch(['-m', 'json.tool', '--compact']))"],
                          cwd=ROOT, input='{"a": [1, 2]}', capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, '{"a":[1,2]}'), done.stderr


def test_frozen_app_leaves_its_own_commands_to_the_cli() -> None:
    done = frozen("print(dispatch(['run', '--context', 'x']), dispatch([]), dispatch(['-I', '-S']))")
    assert done.stdout.strip() == "None None None", done.stderr


def test_frozen_app_folder_is_bound_read_only_into_the_sandbox(tmp_path: Path) -> None:
    exe = tmp_path / "rlm-studio" / "rlm-studio"
    code = ("from rlm_studio.sandbox.isolation import build_bwrap_argv, python_executable\n"
            "import json; print(json.dumps([python_executable(), build_bwrap_argv('bwrap', context_path=None, "
            "as_root=False)]))")
    done = frozen(code, exe=str(exe))
    assert done.returncode == 0, done.stderr
    interpreter, argv = json.loads(done.stdout)
    assert interpreter == str(exe)
    folder = str(exe.parent)
    assert any(argv[i:i + 3] == ["--ro-bind", folder, folder] for i in range(len(argv))), argv
    assert not any(argv[i:i + 3] == ["--bind", folder, folder] for i in range(len(argv)))
    source = build_bwrap_argv("bwrap", context_path=None, as_root=False)
    assert folder not in source  # a source install binds the Python installation instead
