"""The context file: how a (possibly 100 MB) input reaches the sandbox without crossing the pipe.

Layout: 8-byte magic ``RLMCTX01``, 4-byte big-endian header length, a small JSON header
``{"kind": "str"|"list"|"dict", "parts": [[name, byte_offset, byte_length], ...]}``,
then the parts as raw UTF-8 back to back. Reading maps the file and decodes each part
straight from the mapping, so a 100 MB str loads in tens of milliseconds. ``ContextFileWriter`` writes
the same layout from streamed bytes (a document far larger than the app should hold as one str).
Stdlib only: the worker imports this file too.
"""

from __future__ import annotations

import json
import mmap
import os

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    Context = str | list[str] | dict[str, str]

MAGIC = b"RLMCTX01"
_HEADER_LENGTH_BYTES = 4
_ENCODING_ERRORS = "surrogatepass"  # lone surrogates from odd documents survive the round trip


class ContextFileError(ValueError):
    """The context value or file is not in the expected shape."""


def _parts_of(value: object) -> tuple[str, list[tuple[str | None, str]]]:
    if isinstance(value, str):
        return "str", [(None, value)]
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ContextFileError(f"context list item {index} is {type(item).__name__}; every item must be text (str)")
        return "list", [(None, item) for item in value]
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str) or not isinstance(item, str):
                raise ContextFileError(
                    f"context dict entry {name!r} is {type(name).__name__} -> {type(item).__name__}; "
                    "it must map document names (str) to text (str)")
        return "dict", [(name, item) for name, item in value.items()]
    raise ContextFileError(f"context must be text, a list of texts or a dict name -> text, not {type(value).__name__}")


def write_context(value: object, path: str | os.PathLike[str]) -> None:
    """Write ``value`` (str, list of str, or dict name -> str) to ``path`` atomically."""
    kind, parts = _parts_of(value)
    encoded = [(name, text.encode("utf-8", _ENCODING_ERRORS)) for name, text in parts]
    header_parts: list[list[Any]] = []
    offset = 0
    for name, data in encoded:
        header_parts.append([name, offset, len(data)])
        offset += len(data)
    header = json.dumps({"kind": kind, "parts": header_parts}, ensure_ascii=False).encode("utf-8", _ENCODING_ERRORS)
    target = os.fspath(path)
    temporary = f"{target}.{os.getpid()}.partial"
    with open(temporary, "wb") as handle:
        handle.write(MAGIC)
        handle.write(len(header).to_bytes(_HEADER_LENGTH_BYTES, "big"))
        handle.write(header)
        for _, data in encoded:
            handle.write(data)
    os.replace(temporary, target)


class ContextFileWriter:
    """Write a context file part by part, from bytes streamed in, without the whole text in memory.

    The header (with each part's byte offset and length) comes first in the file but is known only at the
    end, so room for it is reserved up front and the real header is written into it, padded with spaces
    (JSON allows trailing blanks): readers see the same layout as ``write_context``'s. Written to
    ``path.partial`` and moved into place by ``close()``; ``abort()`` removes it.
    """

    def __init__(self, path: str | os.PathLike[str], kind: str, names: list[str | None]):
        if kind not in ("str", "list", "dict") or (kind == "str" and len(names) != 1):
            raise ContextFileError(f"a context file of kind {kind!r} cannot have {len(names)} parts")
        self.target = os.fspath(path)
        self.kind = kind
        self.names = names
        widest = [[name, 10 ** 19, 10 ** 19] for name in names]   # room for any offset/length
        self._reserved = len(self._header(widest))
        self._temporary = f"{self.target}.{os.getpid()}.partial"
        self._handle: BinaryIO | None = open(self._temporary, "wb")
        self._handle.write(MAGIC + self._reserved.to_bytes(_HEADER_LENGTH_BYTES, "big") + b" " * self._reserved)
        self._parts: list[list[Any]] = []
        self._offset = 0
        self._part_start: int | None = None

    def _header(self, parts: list[list[Any]]) -> bytes:
        return json.dumps({"kind": self.kind, "parts": parts}, ensure_ascii=False).encode("utf-8", _ENCODING_ERRORS)

    def begin_part(self) -> None:
        if self._part_start is not None or len(self._parts) >= len(self.names):
            raise ContextFileError("begin_part() out of order")
        self._part_start = self._offset

    def write(self, data: bytes) -> None:
        """Append UTF-8 bytes to the current part."""
        assert self._handle is not None and self._part_start is not None, "write() outside a part"
        self._handle.write(data)
        self._offset += len(data)

    def end_part(self) -> None:
        if self._part_start is None:
            raise ContextFileError("end_part() without begin_part()")
        self._parts.append([self.names[len(self._parts)], self._part_start, self._offset - self._part_start])
        self._part_start = None

    def close(self) -> None:
        """Write the header and move the file into place."""
        if self._handle is None:
            return
        if len(self._parts) != len(self.names) or self._part_start is not None:
            self.abort()
            raise ContextFileError(f"{len(self._parts)} of {len(self.names)} parts were written")
        header = self._header(self._parts)
        self._handle.seek(len(MAGIC) + _HEADER_LENGTH_BYTES)
        self._handle.write(header.ljust(self._reserved, b" "))
        self._handle.close()
        self._handle = None
        os.replace(self._temporary, self.target)

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        try:
            os.unlink(self._temporary)
        except FileNotFoundError:
            pass


def _read_header(handle: BinaryIO, path: object) -> tuple[dict[str, Any], int]:
    prefix = handle.read(len(MAGIC) + _HEADER_LENGTH_BYTES)
    if len(prefix) < len(MAGIC) + _HEADER_LENGTH_BYTES or prefix[:len(MAGIC)] != MAGIC:
        raise ContextFileError(f"{path} is not a context file (bad magic bytes)")
    header_length = int.from_bytes(prefix[len(MAGIC):], "big")
    raw = handle.read(header_length)
    if len(raw) != header_length:
        raise ContextFileError(f"{path} is truncated (header cut short)")
    try:
        header: Any = json.loads(raw.decode("utf-8", _ENCODING_ERRORS))
    except ValueError as exc:
        raise ContextFileError(f"{path} has a damaged header: {exc}") from None
    if not isinstance(header, dict) or header.get("kind") not in ("str", "list", "dict") \
            or not isinstance(header.get("parts"), list):
        raise ContextFileError(f"{path} has a header of unknown shape")
    return header, len(prefix) + header_length


def read_context_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header only (kind and part names/byte sizes), without reading the text."""
    with open(path, "rb") as handle:
        header, _ = _read_header(handle, path)
    return header


def read_context(path: str | os.PathLike[str]) -> Context:
    """Read a context file back into a str, list of str or dict name -> str."""
    with open(path, "rb") as handle:
        return read_context_from_file(handle, path)


def read_context_from_file(handle: BinaryIO, path: object = "context file") -> Context:
    """Like read_context, for an already open binary file (the worker opens it before dropping privileges)."""
    header, data_start = _read_header(handle, path)
    size = os.fstat(handle.fileno()).st_size
    texts: list[str] = []
    if size > data_start:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapping)
        try:
            for name, offset, length in header["parts"]:
                start = data_start + offset
                if start + length > size:
                    raise ContextFileError(f"{path} is truncated (part {name!r} runs past the end)")
                texts.append(str(view[start:start + length], "utf-8", _ENCODING_ERRORS))
        finally:
            view.release()
            mapping.close()
    else:
        texts = ["" for _ in header["parts"]]
    kind = header["kind"]
    if kind == "str":
        return texts[0] if texts else ""
    if kind == "list":
        return texts
    return {name: text for (name, _, _), text in zip(header["parts"], texts)}
