"""Recognise binary file types from their first bytes."""

from __future__ import annotations

import zipfile
from pathlib import Path

# (magic bytes at offset 0, what to call the file). Only strong signatures: weak
# ones would misfire on text files, and the NUL-byte check catches the rest.
_MAGIC: tuple[tuple[bytes, str | None], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"\x7fELF", "an executable program (ELF)"),
    (b"\xcf\xfa\xed\xfe", "an executable program (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "an executable program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a compiled program (Java class or Mach-O)"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh91AY&SY", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"(\xb5/\xfd", "a zstd-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "an old Microsoft Office file (.doc/.xls/.ppt); save it as .docx or as text first"),
    (b"OggS", "an Ogg audio/video file"),
    (b"fLaC", "a FLAC audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"%!PS-Adobe", None),  # PostScript is text; listed so nothing below claims it
)


def sniff_binary(head: bytes) -> str | None:
    """What binary type `head` (the first bytes of a file) starts like, or None."""
    for magic, label in _MAGIC:
        if head.startswith(magic):
            return label
    if head[:4] == b"RIFF" and len(head) >= 12:
        return "a RIFF media file (audio/video/image)"
    if head[4:8] == b"ftyp":
        return "an MP4/QuickTime media file"
    return None


def looks_like_pdf(head: bytes) -> bool:
    """PDF readers accept the %PDF- header anywhere in the first kilobyte."""
    return b"%PDF-" in head[:1024]


def looks_like_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def zip_flavour(path: Path) -> str:
    """"docx" for a Word document, else a description of the ZIP-based file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged ZIP archive"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "an Excel workbook (.xlsx); export it as CSV first"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint file (.pptx); export it as PDF or text first"
    if "mimetype" in names and any(n == "content.xml" for n in names):
        return "an OpenDocument file; save it as .docx or text first"
    if "META-INF/MANIFEST.MF" in names:
        return "a Java archive (JAR)"
    return "a ZIP archive; unpack it and load the folder instead"
