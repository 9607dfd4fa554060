"""Text in the encodings people's files really come in decodes to the right characters."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rlm_studio.documents import load_document
from rlm_studio.documents.text_reader import SAMPLE_BYTES

FRENCH = "Le garçon était très fâché : « déjà vu », dit-il — au café près de la façade.\n"
GERMAN = "Größe, Ärger und Übermut: Zürich öffnet die Straße.\n"


def test_utf8_without_bom(tmp_path: Path) -> None:
    text = FRENCH + "日本語のテキスト 🚀\n"
    path = tmp_path / "u.txt"
    path.write_bytes(text.encode("utf-8"))
    doc = load_document(path)
    assert doc.text == text and doc.encoding == "utf-8"
    assert doc.chars == len(text) and doc.size_bytes == len(text.encode("utf-8"))


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + FRENCH.encode("utf-8"))
    doc = load_document(path)
    assert doc.text == FRENCH and doc.encoding == "utf-8-sig"


@pytest.mark.parametrize(("codec", "label"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(tmp_path: Path, codec: str, label: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = tmp_path / "wide.txt"
    path.write_bytes(bom + (GERMAN + FRENCH).replace("\n", "\r\n").encode(codec))
    doc = load_document(path)
    assert doc.text == GERMAN + FRENCH and doc.encoding == label


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_western_legacy_encodings(tmp_path: Path, codec: str) -> None:
    text = GERMAN + (FRENCH.replace("—", "-") if codec == "latin-1" else FRENCH)
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(codec))
    doc = load_document(path)
    assert doc.text == text
    assert doc.encoding == "cp1252"


def test_cyrillic_legacy_encoding_is_not_mistaken_for_western(tmp_path: Path) -> None:
    text = "Привет, мир! Это проверка кодировки: журнал станции, запись номер семь.\n" * 3
    path = tmp_path / "ru.txt"
    path.write_bytes(text.encode("cp1251"))
    doc = load_document(path)
    assert doc.text == text and doc.encoding == "cp1251"


def test_legacy_bytes_after_a_long_ascii_start_restart_the_decode(tmp_path: Path) -> None:
    """The sample is all ASCII; a cp1252 byte far beyond it must not break the load."""
    head = "plain ascii line\n" * (SAMPLE_BYTES // 17 + 20000)
    path = tmp_path / "late.txt"
    path.write_bytes((head + GERMAN).encode("cp1252"))
    doc = load_document(path)
    assert doc.encoding == "cp1252"
    assert doc.text.endswith(GERMAN) and len(doc.text) == len(head) + len(GERMAN)


def test_utf8_with_a_stray_bad_byte_keeps_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mostly.txt"
    path.write_bytes(FRENCH.encode("utf-8") + b"ab\xffcd\n")
    doc = load_document(path)
    assert doc.encoding.startswith("utf-8") and "replaced" in doc.encoding
    assert doc.text == FRENCH + "ab\ufffdcd\n"


def test_windows_and_old_mac_line_endings_become_newlines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"one\r\ntwo\rthree\n")
    assert load_document(path).text == "one\ntwo\nthree\n"


def test_crlf_split_across_a_chunk_boundary(tmp_path: Path) -> None:
    from rlm_studio.documents.text_reader import CHUNK_BYTES

    body = b"x" * (CHUNK_BYTES - 1) + b"\r\n" + b"end"
    path = tmp_path / "boundary.txt"
    path.write_bytes(body)
    text = load_document(path).text
    assert text.count("\n") == 1 and text.endswith("x\nend") and len(text) == CHUNK_BYTES + 3


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised_not_refused_as_binary(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "export.csv"
    text = "name,city\nZoë,Zürich\n" * 50
    path.write_bytes(text.encode(codec))
    doc = load_document(path)
    assert doc.text == text and doc.encoding == codec
