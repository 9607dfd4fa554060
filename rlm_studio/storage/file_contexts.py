"""File-backed contexts (sandbox.FileContext) kept in the database, so their runs can be forked, re-executed
and continued: `store_file_context` streams each part into the blob store under the hash the run records
(blob_stream.py); `materialize` streams it back into a context file when a StoredContext (what the run's
events say of it, engine.stored_context) is to run again. Both stream a large text in a child process
(stream_child.py), so the app's GIL stays free for its window.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .blob_stream import read_stream, store_stream
from .connection import connect
from .errors import StorageError
from .stream_child import IN_CHILD_BYTES, run_child


def store_file_context(db_path: str | os.PathLike[str], run_id: str, context: Any, *,
                       progress: Callable[[int, int], None] | None = None,
                       cancel: Callable[[], bool] | None = None) -> None:
    """Keep a FileContext's parts in the database for `run_id` (a part already stored only gets a reference).
    `progress(done, total)` in bytes. Raises StorageError (e.g. a text too large for one SQLite value)."""
    conn = connect(Path(db_path))
    try:
        ranges = context.part_ranges()
        total = sum(length for _, length in ranges)
        before = 0
        for (offset, length), part in zip(ranges, context.parts):
            report = None if progress is None else (lambda done, base=before: progress(base + done, total))
            store_stream(conn, run_id, context.path, offset, length, expected_sha256=part.sha256,
                         progress=report, cancel=cancel)
            before += length
        if progress is not None:
            progress(total, total)
    finally:
        conn.close()


def materialize(db_path: str | os.PathLike[str], value: Any, folder: str | os.PathLike[str], *,
                progress: Callable[[int, int], None] | None = None) -> Any:
    """`value` itself unless it is a StoredContext; then a FileContext with its text: the file this process
    already has for it, or one streamed out of the database into `folder`. StorageError when the text is not
    stored (a run from before contexts were kept, or one whose storing failed)."""
    from rlm_studio.engine.stored_context import StoredContext
    from rlm_studio.sandbox import FileContext

    if not isinstance(value, StoredContext):
        return value
    known = FileContext.known(value.key, value.kind, [part.name for part in value.parts])
    if known is not None:
        return known
    conn = connect(Path(db_path))
    try:
        missing = [p for p in value.parts
                   if conn.execute("SELECT 1 FROM blobs WHERE hash = ?", (p.sha256,)).fetchone() is None]
        if missing:
            raise StorageError(
                f"this run's document ({value.total_chars:,} characters, kept in a file) is not in the database, "
                "so it cannot run again; start a new run with the document instead")
        total = sum(int(conn.execute("SELECT size FROM blobs WHERE hash = ?", (p.sha256,)).fetchone()[0])
                    for p in value.parts)
        Path(folder).mkdir(parents=True, exist_ok=True)
        dest = Path(folder) / f"{os.getpid()}-{uuid.uuid4().hex}.bin"
        if total < IN_CHILD_BYTES:
            return write_context_file(conn, value, dest, total, progress).remember()
    finally:
        conn.close()
    return _write_in_child(db_path, value, dest, total, progress).remember()


def _write_in_child(db_path: str | os.PathLike[str], value: Any, dest: Path, total: int,
                    progress: Callable[[int, int], None] | None) -> Any:
    """write_context_file by a child process (stream_child.py), for a large text."""
    from rlm_studio.sandbox.context_build_child import context_from_payload

    request = {"op": "write", "db": os.fspath(db_path), "kind": value.kind, "dest": os.fspath(dest), "total": total,
               "parts": [{"name": p.name, "chars": p.chars, "sha256": p.sha256} for p in value.parts]}
    try:
        made = run_child(request, progress=progress)
    except BaseException:
        for leftover in dest.parent.glob(f"{dest.name}.*.partial"):   # what a killed child had written
            leftover.unlink(missing_ok=True)
        raise
    return context_from_payload(made)


def write_context_file(conn: Any, value: Any, dest: Path, total: int,
                       progress: Callable[[int, int], None] | None) -> Any:
    """Stream a StoredContext's parts out of the blob store into a new context file at `dest` (checked
    against their hashes); its FileContext."""
    from rlm_studio.sandbox import FileContext
    from rlm_studio.sandbox.context_file import ContextFileWriter
    from rlm_studio.sandbox.file_context import PREFIX_CHARS, ContextPart

    names: list[str | None] = [None] * len(value.parts) if value.kind != "dict" else [p.name for p in value.parts]
    writer = ContextFileWriter(dest, value.kind, names)
    parts: list[ContextPart] = []
    prefix, done = "", 0
    try:
        for part in value.parts:
            writer.begin_part()
            digest, nbytes = hashlib.sha256(), 0
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            for chunk in read_stream(conn, part.sha256):
                digest.update(chunk)
                writer.write(chunk)
                nbytes += len(chunk)
                done += len(chunk)
                if not parts and len(prefix) < PREFIX_CHARS:
                    prefix += decoder.decode(chunk[:PREFIX_CHARS * 4])[:PREFIX_CHARS - len(prefix)]
                if progress is not None:
                    progress(done, total)
            writer.end_part()
            if digest.hexdigest() != part.sha256:
                raise StorageError(f"the database is damaged: the stored text {part.sha256[:12]}… does not match "
                                   "its hash")
            parts.append(ContextPart(name=part.name, chars=part.chars, nbytes=nbytes, sha256=part.sha256))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return FileContext(path=dest, kind=value.kind, parts=tuple(parts), prefix=prefix)
