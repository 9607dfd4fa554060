"""Each supported format loads from a real file into the expected text and kind."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rlm_studio.documents import DocumentError, load_document
from tests.support.document_files import write_docx, write_pdf


def test_plain_text_keeps_content_and_reports_facts(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("line one\nline two\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "line one\nline two\n"
    assert (doc.name, doc.kind, doc.encoding) == ("notes.txt", "text", "utf-8")
    assert doc.chars == 18 and doc.est_tokens == 5 and doc.size_bytes == 18
    assert doc.path == path.absolute()


@pytest.mark.parametrize(
    ("filename", "kind"),
    [("README.md", "markdown"), ("main.py", "code"), ("Makefile", "code"), ("app.log", "text"),
     ("data.json", "json"), ("table.csv", "csv"), ("no_extension", "text")],
)
def test_kind_follows_the_file_name(tmp_path: Path, filename: str, kind: str) -> None:
    path = tmp_path / filename
    path.write_text("content = 1\n", encoding="utf-8")
    assert load_document(path).kind == kind


def test_json_and_csv_text_is_kept_verbatim(tmp_path: Path) -> None:
    data = {"items": [{"id": i, "label": f"item {i}"} for i in range(3)]}
    json_path = tmp_path / "items.json"
    json_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert json.loads(load_document(json_path).text) == data

    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes(b"name,age\r\nAda,36\r\nAlan,41\r\n")
    doc = load_document(csv_path)
    assert doc.kind == "csv"
    assert doc.text == "name,age\nAda,36\nAlan,41\n"  # CRLF normalised


def test_html_becomes_visible_text_without_scripts_or_styles(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Station  News</title>"
        "<style>p { color: red }</style><script>var secret = 'TOKEN-123';</script></head>"
        "<body><h1>Weekly &amp; update</h1><p>The   generator\nwas serviced.</p>"
        "<ul><li>fuel: ok</li><li>water: low</li></ul>"
        "<table><tr><th>day</th><th>temp</th></tr><tr><td>Mon</td><td>-31</td></tr></table>"
        "<script>document.write('INJECTED')</script><noscript>enable javascript</noscript>"
        "<pre>  indented\n    code</pre></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.kind == "html"
    assert "TOKEN-123" not in doc.text and "INJECTED" not in doc.text
    assert "color" not in doc.text and "enable javascript" not in doc.text
    assert doc.text.startswith("Station News\n\nWeekly & update\n\nThe generator was serviced.")
    assert "fuel: ok\nwater: low" in doc.text
    assert "day\ttemp\nMon\t-31" in doc.text
    assert "  indented\n    code" in doc.text


def test_pdf_text_has_page_separators(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", [["Alpha page (one)", "second line"], ["Beta page two"]])
    doc = load_document(path)
    assert doc.kind == "pdf" and doc.encoding is None
    first = doc.text.index("--- page 1 of 2 ---")
    second = doc.text.index("--- page 2 of 2 ---")
    assert first < doc.text.index("Alpha page (one)") < doc.text.index("second line") < second
    assert doc.text.index("Beta page two") > second


def test_pdf_is_recognised_by_content_even_with_another_name(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "download.bin", [["Real PDF text"]])
    doc = load_document(path)
    assert doc.kind == "pdf" and "Real PDF text" in doc.text


def test_pdf_without_text_is_refused_as_scanned(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(DocumentError, match=r"scan\.pdf contains no extractable text.*scanned"):
        load_document(path)


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    source = write_pdf(tmp_path / "plain.pdf", [["Confidential numbers"]])
    writer = PdfWriter()
    writer.append(PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(buffer.getvalue())
    with pytest.raises(DocumentError, match=r"locked\.pdf is password-protected"):
        load_document(locked)


def test_file_named_pdf_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"fake\.pdf is named like a PDF but is not one"):
        load_document(path)


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    doc = load_document(write_docx(tmp_path / "report.docx"))
    assert doc.kind == "docx" and doc.encoding is None
    assert doc.text == (
        "# Quarterly Report\n"
        "Revenue grew in every region except the north.\n"
        "Region | Revenue\nSouth | 1200\nNorth | 870\n\n"
        "The north office reopens in May."
    )
