"""Folder loads say what they skipped and why, an explicit include wins over a default exclusion, PEP 263
declarations decide a .py file's encoding, and a text that is not UTF-8 carries a note saying how it was read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.documents import encoding_lines, load_document, load_folder, skipped_lines

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = "да, это правда".encode("cp1251")   # reads as Western-looking accented letters in cp1252


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "venv" / "lib").mkdir(parents=True)
    (root / "venv" / "lib" / "site.py").write_text("VENDORED = True\n")
    (root / "src").mkdir()
    (root / "src" / "main.py").write_text("print('hello')\n")
    (root / "src" / "cache.pyc").write_text("not really bytecode\n")
    (root / ".DS_Store").write_text("finder state\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text("   \n\n")
    (root / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return root


def test_every_skipped_file_is_listed_with_its_reason(folder):
    loaded = load_folder(folder)
    assert [d.name for d in loaded.documents] == ["src/main.py"]
    kinds = {item.path: item.kind for item in loaded.skipped}
    assert kinds == {"venv/": "excluded", "src/cache.pyc": "excluded", ".DS_Store": "excluded",
                     "empty.txt": "empty", "blank.txt": "empty", "image.bin": "binary"}
    lines = skipped_lines(loaded.skipped)
    assert lines[0] == "skipped 6 file(s) or folder(s): 3 excluded by default, 2 empty, 1 binary"
    assert any(line.startswith("  venv/: excluded by default") for line in lines)
    assert any("image.bin" in line and "not a text document" in line for line in lines)
    assert len(skipped_lines(loaded.skipped, limit=2)) == 4      # count, two entries, "... and 4 more"


def test_an_include_that_names_a_default_exclusion_wins(folder):
    loaded = load_folder(folder, include=["venv/**", "*.pyc"])
    assert [d.name for d in loaded.documents] == ["src/cache.pyc", "venv/lib/site.py"]
    nested = load_folder(folder, include=["**/venv/**/*.py"])
    assert [d.name for d in nested.documents] == ["venv/lib/site.py"]


def test_an_include_that_names_nothing_in_particular_keeps_the_default_exclusions(folder):
    for pattern in ("*", "**/*", "*.py"):
        loaded = load_folder(folder, include=[pattern])
        names = [d.name for d in loaded.documents]
        assert "venv/lib/site.py" not in names and "src/cache.pyc" not in names, pattern
        assert "venv/" in [item.path for item in loaded.skipped]


def test_a_coding_declaration_decides_a_python_files_encoding(tmp_path):
    declared = tmp_path / "legacy.py"
    declared.write_bytes(b"# -*- coding: cp1251 -*-\ns = '" + CYRILLIC + b"'\n")
    doc = load_document(declared)
    assert "да, это правда" in doc.text and doc.encoding == "cp1251"
    assert doc.encoding_note == "read as cp1251, as its coding declaration says"

    after_shebang = tmp_path / "script.py"
    after_shebang.write_bytes(b"#!/usr/bin/env python\n# vim: set fileencoding=koi8-r :\nx = '"
                              + "привет".encode("koi8-r") + b"'\n")
    assert "привет" in load_document(after_shebang).text

    too_late = tmp_path / "late.py"          # only a blank or comment first line lets the second count
    too_late.write_bytes(b"x = 1\n# coding: cp1251\ns = '" + CYRILLIC + b"'\n")
    late = load_document(too_late)
    assert late.encoding_note is not None and "guessed" in late.encoding_note   # not "as declared"

    as_text = tmp_path / "legacy.txt"        # the declaration is Python's rule: a .txt file is guessed
    as_text.write_bytes(declared.read_bytes())
    assert "guessed" in (load_document(as_text).encoding_note or "")


def test_a_declaration_the_bytes_do_not_fit_falls_back_to_a_visible_guess(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_bytes(b"# coding: ascii\ns = 'Gr\xfc\xdfe aus K\xf6ln'\n")
    doc = load_document(wrong)
    assert "Grüße aus Köln" in doc.text and doc.encoding == "cp1252"
    assert doc.encoding_note.startswith("its coding declaration says ascii, but it does not decode as ascii")
    assert "guessed" in doc.encoding_note


def test_utf8_texts_have_no_note_and_others_do(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("déjà vu\n", encoding="utf-8")
    wide = tmp_path / "wide.txt"
    wide.write_bytes("déjà vu\n".encode("utf-16"))
    docs = [load_document(plain), load_document(wide)]
    assert docs[0].encoding_note is None
    assert encoding_lines(docs) == ["wide.txt: read as utf-16-le (it starts with a byte order mark)"]


def test_the_cli_tells_what_was_skipped_and_how_texts_were_read(folder, tmp_path):
    (folder / "src" / "old.txt").write_bytes("Grüße aus Köln, schöne Straße\n".encode("cp1252"))
    model = tmp_path / "root.json"
    model.write_text(json.dumps({"responses": ["FINAL(ok)"]}))
    env = {**os.environ, "RLM_STUDIO_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "rlm_studio", "run", "-c", str(folder), "-q", "q", "--no-db",
                          "--root-model", f"script:{model}", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "skipped 6 file(s) or folder(s): 3 excluded by default, 2 empty, 1 binary" in out.stderr
    assert "  venv/: excluded by default" in out.stderr
    assert "note: src/old.txt: read as cp1252 (guessed" in out.stderr
    assert json.loads(out.stdout)["answer"] == "ok"
