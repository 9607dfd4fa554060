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


def read_text_file(handle: BinaryIO, label: str, reporter: Reporter) -> tuple[str, str]:
    """(text with newlines normalised to \\n, name of the encoding used).

    `handle` is an open binary file positioned at its start; `label` names the
    file in error messages.
    """
    sample = handle.read(SAMPLE_BYTES)
    complete = len(sample) < SAMPLE_BYTES
    bom = bom_encoding(sample)
    if bom is not None:
        codec, encoding = bom
    else:
        if b"\x00" in sample and (wide := bomless_utf16(sample)) is not None:
            codec = encoding = wide
        elif b"\x00" in sample:
            raise DocumentError(f"{label} looks like a binary file (it contains NUL bytes), not text.")
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
                    "(it is probably a binary file)."
                )
            codec = encoding = guessed
    _refuse_control_characters(sample, codec, label)

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
                "match no known text encoding (it may be a binary file)."
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
                f"(the first at offset {nul_offset:,})."
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


def _refuse_control_characters(sample: bytes, codec: str, label: str) -> None:
    """Binary data that happens to decode still shows as many control characters."""
    text = sample.decode(codec, errors="ignore")
    if not text:
        return
    controls = len(_BINARY_CONTROLS.findall(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise DocumentError(
            f"{label} looks like a binary file: {controls:,} control characters in its first "
            f"{len(sample):,} bytes."
        )
