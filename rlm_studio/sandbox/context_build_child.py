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
    from rlm_studio.self_command import module_python

    from . import file_context

    request = {"sources": [[name, os.fspath(path)] for name, path in sources], "dest": os.fspath(dest),
               "encodings": encodings, "chunk_bytes": file_context.CHUNK_BYTES}
    child = subprocess.Popen([module_python(), "-m", CHILD_MODULE, json.dumps(request)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert child.stdout is not None and child.stderr is not None
    try:
        final = follow_child(child, progress, cancel)
    except BaseException:   # cancelled (or this thread failed): the child goes, and whatever it wrote
        child.kill()
        child.wait()
        Path(f"{dest}.{child.pid}.partial").unlink(missing_ok=True)
        dest.unlink(missing_ok=True)
        raise
    finally:
        child.stdout.close()
    errors = child.stderr.read().decode("utf-8", "replace").strip()
    child.stderr.close()
    code = child.wait()
    if final is None:
        Path(f"{dest}.{child.pid}.partial").unlink(missing_ok=True)
        raise ContextFileError(f"building the context file failed (exit code {code})"
                               + (f": {errors.splitlines()[-1]}" if errors else ""))
    kind, payload = final
    if kind == "error":
        raise ContextFileError(str(payload))
    parts = tuple(ContextPart(name=p["name"], chars=p["chars"], nbytes=p["nbytes"], sha256=p["sha256"])
                  for p in payload["parts"])
    return FileContext(path=Path(payload["path"]), kind=payload["kind"], parts=parts,
                       prefix=payload["prefix"]).remember()


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
    payload = {"path": os.fspath(context.path), "kind": context.kind, "prefix": context.prefix,
               "parts": [{"name": p.name, "chars": p.chars, "nbytes": p.nbytes, "sha256": p.sha256}
                         for p in context.parts]}
    out.write(f"done {json.dumps(payload)}\n")
    out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
