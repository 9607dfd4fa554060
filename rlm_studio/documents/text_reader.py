"""Read a text file of any size in chunks, decoding incrementally.

Peak memory is the decoded chunks plus their one final join (about twice the
text), plus one raw chunk.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO

from .encoding import (
    bom_encoding,
    bomless_utf16,
    guess_legacy_encoding,
    is_mostly_utf8,
    is_utf8,
)
from .errors import DocumentError
from .progress import Reporter

CHUNK_BYTES = 4 * 1024 * 1024
SAMPLE_BYTES = 1024 * 1024
# Control characters other than \t \n \v \f \r, BEL, BS and ESC (ANSI colours in logs).
_BINARY_CONTROLS = re.compile("[\x00-\x06\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01
_MAX_REPLACED_SHARE = 0.001
REPLACED_UTF8 = "utf-8 (invalid bytes replaced with \ufffd)"
# PEP 263: a comment line naming the encoding, e.g. "# -*- coding: latin-1 -*-" or "# vim: set fileencoding=cp1252"
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def read_text_file(
    handle: BinaryIO, label: str, reporter: Reporter, *, python_source: bool = False
) -> tuple[str, str, str | None]:
    """(text with newlines normalised to \\n, name of the encoding used, a note for the user
    when that is not plain UTF-8: how it was found, and when it is a guess).

    `handle` is an open binary file positioned at its start; `label` names the
    file in error messages. In `python_source`, a PEP 263 coding declaration
    (``# -*- coding: latin-1 -*-`` on the first two lines) decides the encoding.
    """
    sample = handle.read(SAMPLE_BYTES)
    complete = len(sample) < SAMPLE_BYTES
    bom = bom_encoding(sample)
    declared_note = None
    if bom is None and python_source and (declared := declared_encoding(sample)) is not None:
        if declared != "utf-8":
            try:
                refuse_control_characters(sample, declared, label)
                text = _decode_all(handle, declared, label, reporter)
                return text, declared, f"read as {declared}, as its coding declaration says"
            except DocumentError:
                declared_note = f"its coding declaration says {declared}, but it does not decode as {declared}"
    text, encoding = _detect_and_read(handle, sample, complete, bom, label, reporter)
    note = encoding_note(encoding, bom is not None)
    if declared_note:
        note = declared_note + "; " + (note or f"read as {encoding}")
    return text, encoding, note


def declared_encoding(sample: bytes) -> str | None:
    """The codec a PEP 263 declaration on the first two lines names (normalised), if any is valid."""
    lines = sample.split(b"\n", 2)[:2]
    for number, line in enumerate(lines):
        match = _CODING.match(line)
        if match is not None:
            try:
                return codecs.lookup(match.group(1).decode("ascii")).name
            except LookupError:
                return None
        if number == 0 and not _BLANK_OR_COMMENT.match(line):
            return None   # as in Python: the second line counts only after a blank or comment line
    return None


def encoding_note(encoding: str, from_bom: bool) -> str | None:
    """What the user should know about how a text was decoded; None for UTF-8 (and ASCII)."""
    if encoding in ("utf-8", "utf-8-sig"):
        return None
    if encoding == REPLACED_UTF8:
        return "read as UTF-8; bytes that are not valid UTF-8 were replaced with \ufffd"
    if from_bom:
        return f"read as {encoding} (it starts with a byte order mark)"
    if encoding.startswith("utf-16"):
        return f"read as {encoding} (guessed: no byte order mark, but every other byte is NUL)"
    return f"read as {encoding} (guessed: the file is not UTF-8; check its text if it looks wrong)"


def _detect_and_read(
    handle: BinaryIO, sample: bytes, complete: bool, bom: tuple[str, str] | None, label: str,
    reporter: Reporter,
) -> tuple[str, str]:
    """(text, encoding) by the BOM, else UTF-8, else UTF-8 with a few bad bytes, else a legacy guess."""
    if bom is not None:
        codec, encoding = bom
    else:
        if b"\x00" in sample and (wide := bomless_utf16(sample)) is not None:
            codec = encoding = wide
        elif b"\x00" in sample:
            raise DocumentError(f"{label} looks like a binary file (it contains NUL bytes), not text.",
                                kind="binary")
        elif is_utf8(sample, complete=complete):
            codec = encoding = "utf-8"
        elif is_mostly_utf8(sample):
            text = _decode_all(handle, "utf-8", label, reporter, errors="replace")
            return text, REPLACED_UTF8
        else:
            guessed = guess_legacy_encoding(sample)
            if guessed is None:
                raise DocumentError(
                    f"{label} is not readable as text: its bytes match no known text encoding "
                    "(it is probably a binary file).", kind="binary"
                )
            codec = encoding = guessed
    refuse_control_characters(sample, codec, label)

    try:
        return _decode_all(handle, codec, label, reporter), encoding
    except _Utf8Broken as broken:
        if broken.saw_non_ascii:
            # Real UTF-8 with a few bad bytes: keep UTF-8, mark the bad bytes.
            text = _decode_all(handle, "utf-8", label, reporter, errors="replace")
            return text, REPLACED_UTF8
        # Plain ASCII until now, then a non-UTF-8 byte: a legacy 8-bit encoding.
        guessed = guess_legacy_encoding(broken.window)
        if guessed is None:
            raise DocumentError(
                f"{label} is not readable as text: the bytes near offset {broken.offset:,} "
                "match no known text encoding (it may be a binary file).", kind="binary"
            ) from None
        return _decode_all(handle, guessed, label, reporter), guessed


class _Utf8Broken(Exception):
    def __init__(self, offset: int, window: bytes, saw_non_ascii: bool) -> None:
        super().__init__(offset)
        self.offset = offset
        self.window = window
        self.saw_non_ascii = saw_non_ascii


def _decode_all(
    handle: BinaryIO, codec: str, label: str, reporter: Reporter, *, errors: str = "strict"
) -> str:
    handle.seek(0)
    decoder = io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder(codec)(errors=errors), translate=True
    )
    check_nul = not codec.startswith(("utf-16", "utf-32"))
    pieces: list[str] = []
    done = 0
    saw_non_ascii = False
    replaced = 0
    while True:
        reporter.check_cancel()
        chunk = handle.read(CHUNK_BYTES)
        final = not chunk
        if check_nul and b"\x00" in chunk:
            nul_offset = done + chunk.index(b"\x00")
            raise DocumentError(
                f"{label} looks like a binary file: it contains NUL bytes "
                f"(the first at offset {nul_offset:,}).", kind="binary"
            )
        try:
            piece = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            pieces.clear()  # the traceback keeps this frame alive during a retry
            offset = done + max(0, exc.start - 4)
            if codec == "utf-8" and errors == "strict":
                start = max(0, exc.start - 32 * 1024)
                raise _Utf8Broken(offset, chunk[start : exc.start + 32 * 1024], saw_non_ascii) from None
            raise DocumentError(
                f"{label} is not valid {codec} text: undecodable bytes near offset {offset:,} "
                "(it may be a binary file, or mix several encodings)."
            ) from None
        if piece:
            if not saw_non_ascii and not piece.isascii():
                saw_non_ascii = True
            if errors == "replace":
                replaced += piece.count("\ufffd")
            pieces.append(piece)
        done += len(chunk)
        if final:
            break
        reporter.report(done)
    if errors == "replace" and replaced > max(16, _MAX_REPLACED_SHARE * done):
        raise DocumentError(
            f"{label} is not readable as text: {replaced:,} of its bytes are not valid UTF-8."
        )
    text = "".join(pieces)
    del pieces
    reporter.finish()
    return text


def refuse_control_characters(sample: bytes, codec: str, label: str) -> None:
    """Binary data that happens to decode still shows as many control characters."""
    text = sample.decode(codec, errors="ignore")
    if not text:
        return
    controls = len(_BINARY_CONTROLS.findall(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise DocumentError(
            f"{label} looks like a binary file: {controls:,} control characters in its first "
            f"{len(sample):,} bytes.", kind="binary"
        )
