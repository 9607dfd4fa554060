"""A text too large to hold as one str, into and out of the blob store as a stream.

`store_stream` hashes (sha256) and compresses (zlib, as blobs.py does, so `decode_blob` reads the result)
bytes read in chunks from a file range into a temporary file (a child process does that for a large text:
stream_child.py), then writes them into one `blobs` row (and the
run's `blob_refs` row) in one transaction through SQLite's incremental blob I/O, chunk by chunk: a crash or a
cancel leaves nothing, never part of a text under its hash. (A row is written once: updating any column of
it would make SQLite copy the whole value through memory.) `read_stream` yields the raw bytes back in chunks.
Memory: a few chunks, whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import StorageError

CHUNK_BYTES = 4 << 20


class StreamCancelled(Exception):
    """The caller's cancel() returned True while a blob was being stored."""


def blob_exists(conn: sqlite3.Connection, digest: str) -> bool:
    return conn.execute("SELECT 1 FROM blobs WHERE hash = ?", (digest,)).fetchone() is not None


def add_ref(conn: sqlite3.Connection, run_id: str, digest: str) -> None:
    conn.execute("INSERT OR IGNORE INTO blob_refs(run_id, hash) VALUES (?, ?)", (run_id, digest))


def store_stream(conn: sqlite3.Connection, run_id: str, path: str | os.PathLike[str], offset: int, length: int, *,
                 expected_sha256: str | None = None, progress: Callable[[int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> str:
    """Store bytes `offset .. offset+length` of `path` as one blob referenced by `run_id`; return its sha256.

    A blob with `expected_sha256` already stored only gets the reference. `progress(bytes_done)` is called per
    chunk. Raises StorageError when the bytes do not hash to `expected_sha256` or are too large for SQLite."""
    if expected_sha256 is not None and blob_exists(conn, expected_sha256):
        add_ref(conn, run_id, expected_sha256)
        return expected_sha256
    folder = Path(path).parent
    with tempfile.TemporaryFile(dir=folder, prefix="rlm-studio-blob-") as packed:
        digest, packed_size = _pack(path, offset, length, packed, progress, cancel)
        if expected_sha256 is not None and digest != expected_sha256:
            raise StorageError(f"{path} changed while it was stored: its text no longer has the hash the run recorded")
        if blob_exists(conn, digest):
            add_ref(conn, run_id, digest)
            return digest
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        if packed_size > limit:
            raise StorageError(f"the text is {packed_size / 1e6:,.0f} MB even compressed, more than the database "
                               f"keeps in one piece ({limit / 1e6:,.0f} MB)")
        conn.execute("BEGIN IMMEDIATE")   # one transaction: a crash or cancel leaves nothing half written
        try:
            if blob_exists(conn, digest):    # another process stored the same text meanwhile
                add_ref(conn, run_id, digest)
                conn.execute("COMMIT")
                return digest
            cursor = conn.execute("INSERT INTO blobs(hash, size, compressed, data) VALUES (?, ?, 1, zeroblob(?))",
                                  (digest, length, packed_size))
            assert cursor.lastrowid is not None
            packed.seek(0)
            with conn.blobopen("blobs", "data", cursor.lastrowid) as blob:
                while chunk := packed.read(CHUNK_BYTES):
                    if cancel is not None and cancel():
                        raise StreamCancelled("storing the text was cancelled")
                    blob.write(chunk)
            add_ref(conn, run_id, digest)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return digest


def _pack(path: str | os.PathLike[str], offset: int, length: int, out: BinaryIO,
          progress: Callable[[int], None] | None, cancel: Callable[[], bool] | None) -> tuple[str, int]:
    """compress_range, by a child process for a large text (stream_child.py: the app's GIL stays free)."""
    from .stream_child import IN_CHILD_BYTES, run_child

    if length < IN_CHILD_BYTES:
        return compress_range(path, offset, length, out, progress, cancel)
    out.flush()
    request = {"op": "pack", "path": os.fspath(path), "offset": offset, "length": length, "fd": out.fileno()}
    packed = run_child(request, progress=progress, cancel=cancel, pass_fds=(out.fileno(),),
                       cancelled=lambda: StreamCancelled("storing the text was cancelled"))
    return str(packed["sha256"]), int(packed["size"])


def compress_range(path: str | os.PathLike[str], offset: int, length: int, out: BinaryIO,
                   progress: Callable[[int], None] | None, cancel: Callable[[], bool] | None) -> tuple[str, int]:
    """(sha256 of the raw bytes, compressed size), the compressed bytes written to `out`."""
    digest = hashlib.sha256()
    packer = zlib.compressobj(1)
    left, done, size = length, 0, 0
    with open(path, "rb") as source:
        source.seek(offset)
        while left > 0:
            if cancel is not None and cancel():
                raise StreamCancelled("storing the text was cancelled")
            chunk = source.read(min(CHUNK_BYTES, left))
            if not chunk:
                raise StorageError(f"{path} is shorter than its context header says")
            left -= len(chunk)
            done += len(chunk)
            digest.update(chunk)
            size += out.write(packer.compress(chunk))
            if progress is not None:
                progress(done)
    size += out.write(packer.flush())
    out.flush()
    return digest.hexdigest(), size


def read_stream(conn: sqlite3.Connection, digest: str) -> Iterator[bytes]:
    """The raw (decompressed) bytes of a stored blob, in chunks. StorageError when it is not stored."""
    row = conn.execute("SELECT rowid, compressed FROM blobs WHERE hash = ?", (digest,)).fetchone()
    if row is None:
        raise StorageError(f"no stored text with hash {digest[:12]}…")
    rowid, compressed = row
    unpacker = zlib.decompressobj() if compressed else None
    with conn.blobopen("blobs", "data", rowid, readonly=True) as blob:
        while chunk := blob.read(CHUNK_BYTES):
            if unpacker is None:
                yield chunk
                continue
            data = unpacker.decompress(chunk, CHUNK_BYTES)
            while data:
                yield data
                data = unpacker.decompress(unpacker.unconsumed_tail, CHUNK_BYTES) if unpacker.unconsumed_tail \
                    else b""
        if unpacker is not None:
            rest = unpacker.flush()
            if rest:
                yield rest
