"""FileContext.from_text_files in a child process, reporting progress over a pipe.

Streaming a huge text into a context file is mostly C calls on chunks (read, decode, newline replace, sha256,
write); run on a thread of the app they hold the app's GIL for a moment each, and on a loaded machine a thread
preempted while holding it keeps the UI thread waiting far longer than the work itself. In a child process the
app only reads a line of progress per chunk. `build_in_child` is the app's side (blocking: call it off the UI
thread); `python -m rlm_studio.sandbox.context_build_child REQUEST_JSON` (or the frozen app given the same
arguments) is the child's. Cancel kills the child; nothing it wrote is left behind.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .context_file import ContextFileError
from .file_context import ContextBuildCancelled, ContextPart, FileContext

CHILD_MODULE = "rlm_studio.sandbox.context_build_child"
_POLL_S = 0.05   # how often cancel is looked at while the child is quiet


def build_in_child(sources: list[tuple[str, Path]], dest: Path, *,
                   progress: Callable[[int, int], None] | None = None,
                   cancel: Callable[[], bool] | None = None,
                   encodings: list[str | None] | None = None) -> FileContext:
    """What FileContext.from_text_files(sources, dest, ...) returns and raises, built by a child process."""
    from . import file_context

    def remove_output(pid: int) -> None:   # cancelled or failed: whatever the child wrote goes
        Path(f"{dest}.{pid}.partial").unlink(missing_ok=True)
        dest.unlink(missing_ok=True)

    request = {"sources": [[name, os.fspath(path)] for name, path in sources], "dest": os.fspath(dest),
               "encodings": encodings, "chunk_bytes": file_context.CHUNK_BYTES}
    payload = run_progress_child(CHILD_MODULE, request, "building the context file", ContextFileError,
                                 progress=progress, cancel=cancel, cleanup=remove_output)
    return context_from_payload(payload).remember()


def run_progress_child(module: str, request: dict[str, Any], what: str, error: Callable[[str], Exception], *,
                       progress: Callable[..., None] | None = None, cancel: Callable[[], bool] | None = None,
                       cancelled: Callable[[], BaseException] | None = None, pass_fds: tuple[int, ...] = (),
                       cleanup: Callable[[int], None] | None = None) -> Any:
    """Run `python -m MODULE REQUEST_JSON` (or the frozen app so) and follow it (follow_child): the value of its
    `done` line. Its `error` line, or an end without either, raises error(message); on cancel (or any
    exception here) the child is killed and cleanup(its pid) runs before the exception goes on."""
    from rlm_studio.self_command import module_python

    child = subprocess.Popen([module_python(), "-m", module, json.dumps(request)], pass_fds=pass_fds,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    assert child.stdout is not None and child.stderr is not None
    try:
        final = follow_child(child, progress, cancel, *(() if cancelled is None else (cancelled,)))
    except BaseException:
        child.kill()
        child.wait()
        if cleanup is not None:
            cleanup(child.pid)
        raise
    finally:
        child.stdout.close()
    errors = child.stderr.read().decode("utf-8", "replace").strip()
    child.stderr.close()
    code = child.wait()
    if final is None or final[0] == "error":
        if cleanup is not None:
            cleanup(child.pid)
        if final is not None:
            raise error(str(final[1]))
        raise error(f"{what} failed (exit code {code})" + (f": {errors.splitlines()[-1]}" if errors else ""))
    return final[1]


def context_payload(context: FileContext) -> dict[str, Any]:
    """A FileContext as JSON-able values (what a child sends back)."""
    return {"path": os.fspath(context.path), "kind": context.kind, "prefix": context.prefix,
            "parts": [{"name": p.name, "chars": p.chars, "nbytes": p.nbytes, "sha256": p.sha256}
                      for p in context.parts]}


def context_from_payload(payload: dict[str, Any]) -> FileContext:
    parts = tuple(ContextPart(name=p["name"], chars=p["chars"], nbytes=p["nbytes"], sha256=p["sha256"])
                  for p in payload["parts"])
    return FileContext(path=Path(payload["path"]), kind=payload["kind"], parts=parts, prefix=payload["prefix"])


def follow_child(child: subprocess.Popen[bytes], progress: Callable[..., None] | None,
                 cancel: Callable[[], bool] | None,
                 cancelled: Callable[[], BaseException] = lambda: ContextBuildCancelled("Loading was cancelled."),
                 ) -> tuple[str, Any] | None:
    """Read a child's stdout lines until it ends: `progress N ...` calls progress(N, ...) (ints), and the last
    `done JSON` / `error JSON` line is returned as ("done"|"error", value); None if it sent neither. Raises
    cancelled() as soon as cancel() is true (the caller then kills the child)."""
    assert child.stdout is not None
    fd = child.stdout.fileno()
    buffered = b""
    final: tuple[str, Any] | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if cancel is not None and cancel():
                raise cancelled()
            if not selector.select(_POLL_S):
                continue
            data = os.read(fd, 65536)
            if not data:
                if cancel is not None and cancel():   # a cancel that came as the child finished still counts
                    raise cancelled()
                return final
            buffered += data
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                word, _, rest = line.decode("utf-8").partition(" ")
                if word == "progress" and progress is not None:
                    progress(*(int(n) for n in rest.split()))
                elif word in ("done", "error"):
                    final = (word, json.loads(rest))


def _serve(request: dict[str, Any]) -> None:
    """The child: build the context file, a progress line per chunk, then one done/error line."""
    out = sys.stdout

    def report(done: int, total: int) -> None:
        out.write(f"progress {done} {total}\n")
        out.flush()

    from . import file_context

    file_context.CHUNK_BYTES = int(request["chunk_bytes"])
    sources = [(name, Path(path)) for name, path in request["sources"]]
    try:
        context = FileContext.from_text_files(sources, Path(request["dest"]), progress=report,
                                              encodings=request["encodings"])
    except ContextFileError as exc:
        out.write(f"error {json.dumps(str(exc))}\n")
        out.flush()
        return
    out.write(f"done {json.dumps(context_payload(context))}\n")
    out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
