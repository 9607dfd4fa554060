"""as_context, describe and pasted text: the shapes the engine and the UIs consume."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.documents import (
    Document,
    DocumentError,
    as_context,
    describe,
    from_pasted_text,
    load_document,
    load_folder,
)


def test_one_document_gives_its_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("alpha text\n", encoding="utf-8")
    doc = load_document(path)
    assert as_context(doc) == "alpha text\n"
    assert as_context([doc]) == "alpha text\n"


def test_several_documents_give_a_dict_with_unique_names() -> None:
    docs = [from_pasted_text("one"), from_pasted_text("two"), from_pasted_text("three", name="notes")]
    assert as_context(docs) == {"pasted text": "one", "pasted text (2)": "two", "notes": "three"}


def test_folder_load_gives_a_dict_keyed_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("bee", encoding="utf-8")
    (tmp_path / "a.md").write_text("ay", encoding="utf-8")
    assert as_context(load_folder(tmp_path)) == {"a.md": "ay", "sub/b.md": "bee"}


def test_no_documents_is_an_error() -> None:
    with pytest.raises(DocumentError, match="no documents"):
        as_context([])


def test_describe_sums_and_marks_tokens_as_an_estimate(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x" * 10, encoding="utf-8")
    (tmp_path / "b.py").write_text("y" * 7, encoding="utf-8")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    summary = describe(load_folder(tmp_path))
    assert summary["count"] == 2
    assert summary["total_chars"] == 17 and summary["est_tokens"] == 5
    assert "estimate" in summary["est_tokens_note"]
    assert summary["total_bytes"] == 17
    assert summary["kinds"] == {"code": 1, "markdown": 1}
    assert [d["name"] for d in summary["documents"]] == ["a.md", "b.py"]
    assert summary["skipped"][0]["path"] == "c.png" and "PNG" in summary["skipped"][0]["reason"]


def test_pasted_text() -> None:
    doc = from_pasted_text("héllo\r\nworld")
    assert isinstance(doc, Document)
    assert doc.text == "héllo\nworld" and doc.name == "pasted text" and doc.kind == "text"
    assert doc.path is None and doc.size_bytes == len("héllo\nworld".encode()) and doc.chars == 11
    with pytest.raises(DocumentError, match="pasted text is empty"):
        from_pasted_text("   \n")


def test_document_repr_does_not_dump_the_text() -> None:
    doc = from_pasted_text("secret " * 1000)
    assert "secret" not in repr(doc) and "chars=7000" in repr(doc)
