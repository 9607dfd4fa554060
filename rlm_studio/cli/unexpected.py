"""The last line of defence of every command: an unexpected error is one line on stderr and exit 1.

The traceback goes to the error log (`$RLM_STUDIO_HOME/logs/errors.log`, else the user data
directory), and to stderr as well with `--debug` (or RLM_STUDIO_DEBUG=1).
"""

from __future__ import annotations

import os
import sys
import time
import traceback

DEBUG_FLAG = "--debug"


def make_output_safe() -> None:
    """Text that the terminal's encoding cannot show (a lone surrogate, say) is printed as an escape."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def silence_stdout() -> None:
    """After the reader of our stdout went away, let the interpreter's final flush fail quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _write_log(command: str | None, exc: BaseException) -> str | None:
    """Append the traceback to the error log; its path, or None when it cannot be written."""
    from rlm_studio.storage.paths import error_log_path

    try:
        path = error_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} rlm-studio {command or ''} (pid {os.getpid()})\n")
            log.write("".join(traceback.format_exception(exc)))
        return str(path)
    except Exception:
        return None


def _meant_for_the_user(exc: BaseException) -> bool:
    """Storage and document errors carry a message written for the user: shown as it is."""
    from rlm_studio.documents.errors import DocumentError
    from rlm_studio.storage.errors import StorageError

    return isinstance(exc, (StorageError, DocumentError))


def report_unexpected(command: str | None, exc: BaseException, debug: bool) -> int:
    """One line for the user (the traceback in the log, and on stderr with --debug); exit code 1."""
    logged = _write_log(command, exc)
    if _meant_for_the_user(exc) and not debug:
        print(f"rlm-studio {command or ''}: error: {exc}".replace("rlm-studio :", "rlm-studio:"), file=sys.stderr)
        return 1
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    where = f"details in {logged}" if logged else "the error log could not be written"
    hint = "" if debug else f"; run with {DEBUG_FLAG} for the traceback"
    print(f"rlm-studio {command or ''}: error: {type(exc).__name__}"
          f"{': ' + message if message else ''} ({where}{hint})".replace("rlm-studio :", "rlm-studio:"),
          file=sys.stderr)
    return 1
