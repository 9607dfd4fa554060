"""Build the Debian package from the frozen one-folder app: `python packaging/build_deb.py APP_DIR OUT_DIR`.

Lays out the standard places (app in /usr/lib/rlm-studio, launcher /usr/bin/rlm-studio, desktop entry,
AppStream metainfo, icon, copyright) in a staging root and runs `dpkg-deb --build`; prints the .deb's path.
Needs only dpkg-deb. Stdlib only, so it runs with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "io.github.rlm_studio.RlmStudio"
PACKAGE = "rlm-studio"
INSTALL_DIR = "usr/lib/rlm-studio"
# What the bundled Qt needs from the system on a desktop (the wheel carries Qt itself, not X11/GL/fonts),
# and llama.cpp's OpenMP runtime.
DEPENDS = ("libgomp1, libgl1, libegl1, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, "
           "libxkbcommon-x11-0, libx11-xcb1, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, "
           "libxcb-randr0, libxcb-render-util0, libxcb-image0, libxcb-xkb1")
DESCRIPTION = """\
Run, watch, replay and compare Recursive Language Models
 RLM Studio answers questions about inputs far larger than a model's context
 window with Recursive Language Models (arXiv 2512.24601): the long input lives
 in a sandboxed Python REPL, the root model writes code that searches and
 slices it and calls sub-models on pieces. Every run is shown live as a tree
 with tokens, cost and time on every node, kept in a local database, and can
 be replayed, forked and compared. Includes a tiny offline model
 (SmolLM2-135M-Instruct, served by llama.cpp) and the bubblewrap sandbox."""


def glibc_depends() -> str:
    """The frozen binaries need at least the C library of the machine they were built on."""
    version = (os.confstr("CS_GNU_LIBC_VERSION") or "glibc 2.31").split()[-1]
    return f"libc6 (>= {version})"


def project_version() -> str:
    for line in (ROOT / "rlm_studio" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("build_deb: no __version__ in rlm_studio/__init__.py")


def debian_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _install(src: Path, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def stage(app_dir: Path, root: Path, version: str, arch: str) -> None:
    """Lay out the package's files under `root` (the future /)."""
    if not (app_dir / "rlm-studio").is_file():
        raise SystemExit(f"build_deb: {app_dir} is not a frozen RLM Studio folder (no rlm-studio executable in it)")
    shutil.copytree(app_dir, root / INSTALL_DIR, symlinks=True)
    launcher = root / "usr" / "bin" / PACKAGE
    launcher.parent.mkdir(parents=True)
    launcher.symlink_to(f"../lib/{PACKAGE}/rlm-studio")  # relative: works in any install root
    share = root / "usr" / "share"
    _install(HERE / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    _install(HERE / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    _install(ROOT / "resources" / "icons" / "rlm-studio.svg",
             share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    _install(HERE / "debian-copyright", share / "doc" / PACKAGE / "copyright")
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = root / "DEBIAN" / "control"
    control.parent.mkdir(mode=0o755)
    control.write_text(
        f"Package: {PACKAGE}\nVersion: {version}\nArchitecture: {arch}\n"
        "Maintainer: RLM Studio developers <rlm-studio@users.noreply.github.com>\n"
        f"Installed-Size: {size_kib}\nDepends: {glibc_depends()}, {DEPENDS}\nSection: science\nPriority: optional\n"
        "Homepage: https://github.com/rlm-studio/rlm-studio\n"
        f"Description: {DESCRIPTION}\n", encoding="utf-8")
    control.chmod(0o644)


def build_deb(app_dir: Path, out_dir: Path, *, compression: str = "gzip", level: int | None = None) -> Path:
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("build_deb: dpkg-deb is not installed (Debian package dpkg)")
    version, arch = project_version(), debian_arch()
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="rlm-studio-deb-", dir=out_dir) as staging:
        root = Path(staging) / "root"
        root.mkdir()
        stage(app_dir.resolve(), root, version, arch)
        cmd = ["dpkg-deb", "--root-owner-group", f"-Z{compression}"]
        if level is not None:
            cmd.append(f"-z{level}")
        subprocess.run([*cmd, "--build", str(root), str(deb)], check=True, stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", type=Path, help="the frozen folder (dist/rlm-studio)")
    parser.add_argument("out_dir", type=Path, help="where the .deb goes")
    parser.add_argument("--compression", default="gzip", choices=("xz", "gzip", "zstd", "none"))
    parser.add_argument("--level", type=int, default=None, help="compression level (dpkg-deb -z)")
    args = parser.parse_args(argv)
    print(build_deb(args.app_dir, args.out_dir, compression=args.compression, level=args.level))
    return 0


if __name__ == "__main__":
    sys.exit(main())
