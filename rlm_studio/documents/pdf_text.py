"""PDF to text with pypdf, one separator line per page."""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import DocumentError
from .progress import Reporter


def page_separator(number: int, count: int) -> str:
    return f"--- page {number} of {count} ---"


def pdf_to_text(path: Path, label: str, reporter: Reporter) -> str:
    """Every page's text after a "--- page N of M ---" line.

    Refuses PDFs without extractable text (scanned images) and password-protected ones.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs every oddity of a slightly broken file as a warning; the text is what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not _open_with_empty_password(reader):
            raise DocumentError(
                f"{label} is password-protected; remove the password (or print it to a new PDF) "
                "and load it again."
            )
        count = len(reader.pages)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{label} is not a readable PDF (it may be damaged): {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on odd files
        raise DocumentError(f"{label} could not be read as a PDF: {exc}") from None
    if count == 0:
        raise DocumentError(f"{label} has no pages.")

    pieces: list[str] = []
    with_text = 0
    for index, page in enumerate(reader.pages):
        reporter.check_cancel()
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # one bad page should not lose the rest
            text = f"[text of this page could not be extracted: {exc}]"
        else:
            if text.strip():
                with_text += 1
        pieces.append(f"{page_separator(index + 1, count)}\n{text.strip()}\n")
        reporter.report(reporter.total * (index + 1) // count)
    if with_text == 0:
        raise DocumentError(
            f"{label} contains no extractable text: it is probably a scanned image. "
            "Run it through OCR (text recognition) first."
        )
    reporter.finish()
    return "\n".join(pieces)


def _open_with_empty_password(reader: object) -> bool:
    """Many PDFs are encrypted only against editing and open with an empty password."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # missing crypto backend or unsupported algorithm
        return False
