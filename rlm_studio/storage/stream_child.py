"""The blob store's streaming of a huge text, done by a child process that reports progress over a pipe.

Keeping a 1 GB document (sha256 + zlib of its bytes) and restoring it (decompress, check, write a context file)
are seconds of C calls on chunks; on a thread of the app each holds the app's GIL a moment, and on a loaded
machine a thread preempted while holding it keeps the window waiting. A child has its own. Texts under
IN_CHILD_BYTES are done in-process (a child costs a fraction of a second to start).
`python -m rlm_studio.storage.stream_child REQUEST_JSON` (or the frozen app given the same arguments) is the child.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import StorageError

CHILD_MODULE = "rlm_studio.storage.stream_child"
IN_CHILD_BYTES = 64 << 20


def run_child(request: dict[str, Any], *, progress: Callable[..., None] | None = None,
              cancel: Callable[[], bool] | None = None,
              cancelled: Callable[[], BaseException] | None = None, pass_fds: tuple[int, ...] = ()) -> Any:
    """Run one request in a child; its `done` value. StorageError for its `error` line (or a crash)."""
    from rlm_studio.sandbox.context_build_child import run_progress_child

    return run_progress_child(CHILD_MODULE, request, f"the helper process for {request['op']}", StorageError,
                              progress=progress, cancel=cancel,
                              cancelled=cancelled or (lambda: StorageError("cancelled")), pass_fds=pass_fds)


def _say(word: str, value: Any) -> None:
    sys.stdout.write(f"{word} {json.dumps(value)}\n")
    sys.stdout.flush()


def _progress(*numbers: int) -> None:
    sys.stdout.write("progress " + " ".join(str(n) for n in numbers) + "\n")
    sys.stdout.flush()


def _serve(request: dict[str, Any]) -> None:
    """The child: `pack` (sha256 + zlib of a file range into an inherited fd) or `write` (a stored text into
    a context file)."""
    try:
        if request["op"] == "pack":
            from .blob_stream import compress_range

            with os.fdopen(request["fd"], "wb", closefd=True) as out:
                digest, size = compress_range(request["path"], request["offset"], request["length"], out,
                                              _progress, None)
            _say("done", {"sha256": digest, "size": size})
        else:
            from rlm_studio.engine.stored_context import StoredContext, StoredPart

            from .connection import connect
            from .file_contexts import write_context_file

            value = StoredContext(kind=request["kind"], parts=tuple(StoredPart(**p) for p in request["parts"]))
            conn = connect(Path(request["db"]))
            try:
                context = write_context_file(conn, value, Path(request["dest"]), request["total"],
                                             lambda done, total: _progress(done, total))
            finally:
                conn.close()
            from rlm_studio.sandbox.context_build_child import context_payload

            _say("done", context_payload(context))
    except StorageError as exc:
        _say("error", str(exc))


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
