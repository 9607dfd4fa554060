"""Word .docx to text with python-docx: paragraphs and tables in document order."""

from __future__ import annotations

from pathlib import Path

from .errors import DocumentError
from .progress import Reporter


def docx_to_text(path: Path, label: str, reporter: Reporter) -> str:
    """Paragraphs (headings prefixed with #) and tables (rows of " | "-joined cells)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError/ValueError/BadZipFile alike
        raise DocumentError(f"{label} could not be read as a Word document (.docx): {exc}") from None

    blocks = list(document.iter_inner_content())
    lines: list[str] = []
    for index, block in enumerate(blocks):
        if index % 200 == 0:
            reporter.check_cancel()
            reporter.report(reporter.total * index // max(1, len(blocks)))
        if isinstance(block, Paragraph):
            lines.append(_paragraph_text(block))
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
            lines.append("")
    text = "\n".join(lines).strip()
    reporter.finish()
    return text


def _paragraph_text(paragraph: object) -> str:
    text: str = paragraph.text  # type: ignore[attr-defined]
    style = getattr(getattr(paragraph, "style", None), "name", "") or ""
    if text.strip() and style.startswith("Heading "):
        level = style.removeprefix("Heading ").strip()
        if level.isdigit():
            return f"{'#' * min(6, int(level))} {text}"
    if text.strip() and style == "Title":
        return f"# {text}"
    return text


def _table_lines(table: object) -> list[str]:
    lines = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells = []
        seen = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is listed once per grid column
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        lines.append(" | ".join(cells))
    return lines
