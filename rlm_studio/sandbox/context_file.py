"""The context file: how a (possibly 100 MB) input reaches the sandbox without crossing the pipe.

Layout: 8-byte magic ``RLMCTX01``, 4-byte big-endian header length, a small JSON header
``{"kind": "str"|"list"|"dict", "parts": [[name, byte_offset, byte_length], ...]}``,
then the parts as raw UTF-8 back to back. Reading maps the file and decodes each part
straight from the mapping, so a 100 MB str loads in tens of milliseconds.
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
