"""A file-backed context: a document too large to hold as one str in the app, kept as a context file.

`FileContext.from_text_files` streams UTF-8 text files into a context file (the layout the worker maps,
see context_file.py) in chunks, counting characters, hashing each part and keeping a short prefix on the
way, with progress and cancel; the app never holds more than one chunk of the text. The engine hands the
file itself to the sandbox worker, which maps it into `context` as it does for any run.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .context_file import MAGIC, ContextFileError, ContextFileWriter, read_context_header

#: context files written or restored by this process, by their parts' hashes: a fork or follow-up of a run whose
#: document is still on disk maps that file again instead of restoring it from the database
_KNOWN: dict[tuple[str, ...], FileContext] = {}

CHUNK_BYTES = 2 << 20
PREFIX_CHARS = 4096


class ContextBuildCancelled(Exception):
    """The caller's cancel() returned True while the context file was being written."""


@dataclass(frozen=True)
class ContextPart:
    name: str
    chars: int
    nbytes: int
    sha256: str   # of the part's UTF-8 text, as for a str context


@dataclass(frozen=True)
class FileContext:
    """`context` as a file: "str" (one part) or "dict" (document name -> text); `prefix` is the first part's
    first characters (what the root model is shown)."""

    path: Path
    kind: str
    parts: tuple[ContextPart, ...]
    prefix: str

    @property
    def total_chars(self) -> int:
        return sum(part.chars for part in self.parts)

    @property
    def total_bytes(self) -> int:
        return sum(part.nbytes for part in self.parts)

    def __len__(self) -> int:
        """Characters in the context (a dict context's len is its number of documents, as in the REPL)."""
        return self.total_chars if self.kind == "str" else len(self.parts)

    @property
    def key(self) -> tuple[str, ...]:
        """What the context is, whatever file holds it: its parts' sha256, in order."""
        return tuple(part.sha256 for part in self.parts)

    def part_ranges(self) -> list[tuple[int, int]]:
        """(byte offset in the file, byte length) of each part's UTF-8 text, in order."""
        with open(self.path, "rb") as handle:
            handle.seek(len(MAGIC))
            data_start = len(MAGIC) + 4 + int.from_bytes(handle.read(4), "big")
        header = read_context_header(self.path)
        return [(data_start + int(offset), int(length)) for _, offset, length in header["parts"]]

    def remember(self) -> FileContext:
        """Note this context file as one that holds its parts (see `known`); returns self."""
        _KNOWN[self.key] = self
        return self

    @staticmethod
    def known(key: tuple[str, ...], kind: str, names: list[str] | None = None) -> FileContext | None:
        """A context file this process wrote or restored with these parts' hashes (and, for a dict, these
        document names), if it is still there."""
        found = _KNOWN.get(key)
        if found is None or found.kind != kind or not found.path.exists():
            return None
        if kind == "dict" and names is not None and [part.name for part in found.parts] != names:
            return None
        return found

    @classmethod
    def from_text_files(cls, sources: list[tuple[str, Path]], dest: Path, *,
                        progress: Callable[[int, int], None] | None = None,
                        cancel: Callable[[], bool] | None = None,
                        encodings: list[str | None] | None = None) -> FileContext:
        """One file -> a str context; several -> a dict of name -> text. Newlines become \n (\r\n and a lone
        \r, as the document loader reads text). `encodings` (one per source; None: UTF-8) names the codec of
        a file that is not UTF-8: it is decoded and re-encoded chunk by chunk. Raises ContextFileError for a
        file that does not decode (the caller loads it the ordinary way), ContextBuildCancelled on cancel."""
        if not sources:
            raise ContextFileError("there are no files to use as context")
        names = [name for name, _ in sources]
        if len(set(names)) != len(names):
            raise ContextFileError("two documents have the same name")
        total = sum(os.path.getsize(path) for _, path in sources)
        kind = "str" if len(sources) == 1 else "dict"
        writer = ContextFileWriter(dest, kind, [None] if kind == "str" else list(names))
        parts: list[ContextPart] = []
        prefix = ""
        done = 0
        try:
            for index, (name, path) in enumerate(sources):
                codec = encodings[index] if encodings else None
                writer.begin_part()
                part, head, done = _stream_part(writer, name, path, done, total, progress, cancel, codec)
                writer.end_part()
                parts.append(part)
                prefix = prefix or head
            writer.close()
        except BaseException:
            writer.abort()
            raise
        if progress is not None:
            progress(total, total)
        return cls(path=dest, kind=kind, parts=tuple(parts), prefix=prefix).remember()


def _stream_part(writer: ContextFileWriter, name: str, path: Path, done: int, total: int,
                 progress: Callable[[int, int], None] | None,
                 cancel: Callable[[], bool] | None, codec: str | None = None) -> tuple[ContextPart, str, int]:
    """Copy one file's bytes into the context file (as they are when they are UTF-8 already, which is checked
    and their characters counted; else decoded from `codec` and re-encoded); a character split across two
    reads waits for the next one, and so does a final \r (it may be the first half of \r\n)."""
    digest = hashlib.sha256()
    chars = nbytes = 0
    head = ""
    pending = b""
    first = True
    decoder = None if codec in (None, "utf-8", "utf-8-sig") else \
        io.IncrementalNewlineDecoder(codecs.getincrementaldecoder(codec)("strict"), translate=True)
    with open(path, "rb") as handle:
        while True:
            if cancel is not None and cancel():
                raise ContextBuildCancelled("Loading was cancelled.")
            chunk = handle.read(CHUNK_BYTES)
            done += len(chunk)
            final = not chunk
            if decoder is not None:
                try:
                    text = decoder.decode(chunk, final=final)
                except UnicodeDecodeError as exc:
                    raise ContextFileError(f"{name} is not {codec} text (near byte {done - len(chunk) + exc.start:,})"
                                           ) from None
                if first and text.startswith("\ufeff"):
                    text = text[1:]
                first = False
                data = text.encode("utf-8", "surrogatepass")
                count = len(text)
            else:
                data = pending + chunk if pending else chunk
                if first and data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8):]
                first = False
                cut = len(data) if final else _whole_characters(data)
                if not final and cut and data[cut - 1:cut] == b"\r":
                    cut -= 1
                data, pending = data[:cut], data[cut:]
                if b"\r" in data:
                    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                text = ""
                count = 0
                if data:
                    if data.isascii():
                        count = len(data)
                        text = data[:PREFIX_CHARS].decode("ascii") if len(head) < PREFIX_CHARS else ""
                    else:
                        try:
                            text = data.decode("utf-8")
                        except UnicodeDecodeError as exc:
                            raise ContextFileError(f"{name} is not UTF-8 text (byte {nbytes + exc.start:,})") from None
                        count = len(text)
            if data:
                digest.update(data)
                writer.write(data)
                chars += count
                nbytes += len(data)
                if len(head) < PREFIX_CHARS:
                    head += text[:PREFIX_CHARS - len(head)]
            if progress is not None and chunk:
                progress(min(done, total), total)
            if final:
                break
    if chars == 0:
        raise ContextFileError(f"{name} is empty")
    return ContextPart(name=name, chars=chars, nbytes=nbytes, sha256=digest.hexdigest()), head, done


def _whole_characters(data: bytes) -> int:
    """The length of `data` without a UTF-8 character cut off at its end (0-3 bytes held back)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:   # a lead byte (or ASCII): does its sequence fit?
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return len(data) if need <= back else len(data) - back
    return len(data)   # only continuation bytes: invalid, and decode() will say so
