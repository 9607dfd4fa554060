"""load_document: one file of any supported kind to a Document."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .document import Document
from .docx_text import docx_to_text
from .errors import DocumentError
from .html_text import html_to_text
from .kinds import kind_from_name
from .pdf_text import pdf_to_text
from .progress import CancelCallback, ProgressCallback, Reporter
from .sniffing import looks_like_pdf, looks_like_zip, sniff_binary, zip_flavour
from .text_reader import read_text_file

_HEAD_BYTES = 8192
PYTHON_SUFFIXES = (".py", ".pyw", ".pyi")   # files whose PEP 263 coding declaration is honoured


def load_document(
    path: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    name: str | None = None,
) -> Document:
    """Load one file as text.

    `progress(done, total)` is called in bytes of the file, ending with done == total;
    `cancel()` is polled between chunks/pages and, when it returns True, LoadCancelled
    is raised. `name` overrides the display name (default: the file name).
    Raises DocumentError, with a message naming the file, for anything unreadable.
    """
    path = Path(path).expanduser()
    return _load(path, str(path), Reporter(0, progress, cancel), name, own_reporter=True)


def load_with_reporter(path: Path, label: str, reporter: Reporter, name: str) -> Document:
    """load_document for folder loads: progress goes through the folder's Reporter and
    messages name the file by `label` (its path relative to the folder)."""
    return _load(path, label, reporter, name, own_reporter=False)


def _load(
    path: Path, label: str, reporter: Reporter, name: str | None, *, own_reporter: bool
) -> Document:
    size = _regular_file_size(path, label)
    if own_reporter:
        reporter.total = size
    reporter.check_cancel()
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
            kind = _kind(path, head, label)
            if kind in ("pdf", "docx"):
                handle.close()
                encoding = encoding_note = None
                if kind == "pdf":
                    text = pdf_to_text(path, label, reporter)
                else:
                    text = docx_to_text(path, label, reporter)
            else:
                handle.seek(0)
                text, encoding, encoding_note = read_text_file(
                    handle, label, reporter, python_source=path.suffix.lower() in PYTHON_SUFFIXES)
                if kind == "html":
                    text = html_to_text(text)
    except PermissionError:
        raise DocumentError(f"Permission denied: you are not allowed to read {label}.") from None
    except MemoryError:
        raise DocumentError(f"{label} is too large to load into this computer's memory.") from None
    except OSError as exc:
        raise DocumentError(f"Could not read {label}: {exc.strerror or exc}.") from None

    if not text or text.isspace():
        what = "visible text" if kind == "html" else "text"
        raise DocumentError(f"{label} contains no {what} (only blank space).", kind="empty")
    return Document(
        name=name or path.name,
        path=path.absolute(),
        text=text,
        kind=kind,
        encoding=encoding,
        size_bytes=size,
        encoding_note=encoding_note,
    )


def _regular_file_size(path: Path, label: str) -> int:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DocumentError(f"File not found: {label}") from None
    except NotADirectoryError:
        raise DocumentError(f"File not found: {label} (part of the path is a file, not a folder)") from None
    except PermissionError:
        raise DocumentError(f"Permission denied: you are not allowed to open {label}.") from None
    except OSError as exc:
        raise DocumentError(f"Could not open {label}: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError(f"{label} is a folder, not a file; load it as a folder instead.")
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError(f"{label} is not a regular file (it is a device, pipe or socket).")
    if info.st_size == 0:
        raise DocumentError(f"{label} is empty.", kind="empty")
    return info.st_size


def _kind(path: Path, head: bytes, label: str) -> str:
    """The document kind, from the file's first bytes first and its name second."""
    named = kind_from_name(path)
    if looks_like_pdf(head):
        return "pdf"
    if looks_like_zip(head):
        flavour = zip_flavour(path)
        if flavour == "docx":
            return "docx"
        raise DocumentError(f"{label} is {flavour}, not a text document.", kind="binary")
    binary = sniff_binary(head)
    if binary is not None:
        raise DocumentError(f"{label} is {binary}, not a text document.", kind="binary")
    if named == "pdf":
        raise DocumentError(f"{label} is named like a PDF but is not one (no %PDF header).")
    if named == "docx":
        raise DocumentError(f"{label} is named like a Word .docx file but is not one.")
    return named
