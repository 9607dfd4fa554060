"""Files that are not text documents are refused with a message naming the file and the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from rlm_studio.documents import DocumentError, load_document
from tests.unprivileged import nobody_python, readable_copy, run_as_nobody

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def refusal(path: Path) -> str:
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    message = str(caught.value)
    assert path.name in message
    return message


def test_png_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"  # the name lies; the bytes do not
    path.write_bytes(PNG_HEAD + bytes(range(256)))
    assert "PNG image" in refusal(path)


def test_elf_executable(tmp_path: Path) -> None:
    path = tmp_path / "tool"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    assert "executable program" in refusal(path)


def test_zip_that_is_not_docx(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "ZIP archive" in refusal(path)


def test_xlsx_is_named_for_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "Excel workbook" in refusal(path)


def test_nul_bytes_mean_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(b"looks like text\x00\x00\x01\x02 but is not")
    assert "NUL bytes" in refusal(path)


def test_nul_bytes_after_the_sample_are_found_too(tmp_path: Path) -> None:
    from rlm_studio.documents.text_reader import SAMPLE_BYTES

    path = tmp_path / "late_nul.txt"
    path.write_bytes(b"a" * (SAMPLE_BYTES + 10) + b"\x00tail")
    message = refusal(path)
    assert "NUL bytes" in message and f"{SAMPLE_BYTES + 10:,}" in message


def test_undecodable_random_bytes(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4096))
    path = tmp_path / "noise.dat"
    path.write_bytes(noise)
    assert "binary" in refusal(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert refusal(path).endswith("empty.txt is empty.")


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("  \n\n\t\n", encoding="utf-8")
    assert "contains no text" in refusal(path)


def test_html_with_only_scripts_has_no_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "app.html"
    path.write_text("<html><body><script>run()</script></body></html>", encoding="utf-8")
    assert "no visible text" in refusal(path)


def test_missing_file(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nope.txt").startswith("File not found:")


def test_folder_passed_as_file(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir()
    assert "is a folder, not a file" in refusal(folder)


def test_named_pipe_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in refusal(fifo)


def test_permission_denied(tmp_path: Path) -> None:
    """Run as an unprivileged user when the tests run as root (root can read anything), from a readable copy
    of the package: the checkout itself may be private (a fresh clone under `mktemp -d`)."""
    folder = Path(tempfile.mkdtemp(prefix="rlm-documents-"))  # reachable by any user
    folder.chmod(0o755)
    secret = folder / "secret.txt"
    secret.write_text("classified", encoding="utf-8")
    secret.chmod(0)
    code = (
        "from rlm_studio.documents import load_document, DocumentError\n"
        f"try:\n    load_document({str(secret)!r})\nexcept DocumentError as e:\n    print(e)\n"
    )
    copy = None
    try:
        if os.geteuid() == 0:
            python = nobody_python()
            if python is None:
                pytest.skip("running as root without setpriv or a Python an unprivileged user can run")
            copy = readable_copy(["rlm_studio"])
            result = run_as_nobody(python, ["-c", code], copy, timeout=60)
        else:
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                                    cwd=Path(__file__).resolve().parents[2])
    finally:
        shutil.rmtree(folder)
        if copy is not None:
            shutil.rmtree(copy)
    assert result.stdout.strip() == f"Permission denied: you are not allowed to read {secret}.", result.stderr
