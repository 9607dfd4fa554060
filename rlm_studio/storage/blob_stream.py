"""A text too large to hold as one str, into and out of the blob store as a stream.

`store_stream` hashes (sha256) and compresses (zlib, as blobs.py does, so `decode_blob` reads the result)
bytes read in chunks from a file range into a temporary file, then writes them into one `blobs` row through
SQLite's incremental blob I/O, chunk by chunk in short transactions, under a placeholder hash that is swapped
for the real one (with the run's `blob_refs` row) in a last transaction: a crash leaves an unreferenced
placeholder, never a wrong text under a real hash. `read_stream` yields the raw bytes back in chunks. Memory:
a few chunks, whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import StorageError

CHUNK_BYTES = 4 << 20
_PLACEHOLDER = "partial:"


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
    _sweep_placeholders(conn)
    folder = Path(path).parent
    with tempfile.TemporaryFile(dir=folder, prefix="rlm-studio-blob-") as packed:
        digest, packed_size = _compress(path, offset, length, packed, progress, cancel)
        if expected_sha256 is not None and digest != expected_sha256:
            raise StorageError(f"{path} changed while it was stored: its text no longer has the hash the run recorded")
        if blob_exists(conn, digest):
            add_ref(conn, run_id, digest)
            return digest
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        if packed_size > limit:
            raise StorageError(f"the text is {packed_size / 1e6:,.0f} MB even compressed, more than the database "
                               f"keeps in one piece ({limit / 1e6:,.0f} MB)")
        placeholder = f"{_PLACEHOLDER}{os.getpid()}:{uuid.uuid4().hex}"
        conn.execute("INSERT INTO blobs(hash, size, compressed, data) VALUES (?, ?, 1, zeroblob(?))",
                     (placeholder, length, packed_size))
        try:
            rowid = conn.execute("SELECT rowid FROM blobs WHERE hash = ?", (placeholder,)).fetchone()[0]
            packed.seek(0)
            written = 0
            while chunk := packed.read(CHUNK_BYTES):   # one short write transaction per chunk: runs go on storing
                if cancel is not None and cancel():
                    raise StreamCancelled("storing the text was cancelled")
                with conn.blobopen("blobs", "data", rowid) as blob:
                    blob.seek(written)
                    blob.write(chunk)
                written += len(chunk)
            conn.execute("BEGIN IMMEDIATE")
            try:
                if blob_exists(conn, digest):   # another process stored the same text meanwhile
                    conn.execute("DELETE FROM blobs WHERE hash = ?", (placeholder,))
                else:
                    conn.execute("UPDATE blobs SET hash = ? WHERE hash = ?", (digest, placeholder))
                add_ref(conn, run_id, digest)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException:
            conn.execute("DELETE FROM blobs WHERE hash = ?", (placeholder,))
            raise
    return digest


def _compress(path: str | os.PathLike[str], offset: int, length: int, out: BinaryIO,
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


def _sweep_placeholders(conn: sqlite3.Connection) -> None:
    """Drop placeholder rows left by processes that died while storing (their pid is gone)."""
    for (name,) in conn.execute("SELECT hash FROM blobs WHERE hash LIKE 'partial:%'").fetchall():
        pid = name.split(":")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            conn.execute("DELETE FROM blobs WHERE hash = ?", (name,))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
