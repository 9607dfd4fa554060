"""Big files: progress reaches 100 %, loads can be cancelled part way, text stays intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.documents import LoadCancelled, load_document, load_folder
from tests.support.document_files import write_pdf

LINE = "2024-03-01T12:00:00Z sensor=temp value=-31.5 unit=C note=nominal reading\n"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 50 MB of log lines with a marker at the very end."""
    path = tmp_path_factory.mktemp("big") / "big.log"
    block = LINE * 10_000
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for _ in range(50_000_000 // len(block)):
            handle.write(block)
        handle.write("THE-END-MARKER\n")
    return path


def test_big_file_progress_reaches_total(big_file: Path) -> None:
    calls: list[tuple[int, int]] = []
    doc = load_document(big_file, progress=lambda done, total: calls.append((done, total)))
    size = big_file.stat().st_size
    assert doc.chars == size and doc.text.endswith("THE-END-MARKER\n")
    assert len(calls) >= 10
    assert all(total == size for _, total in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)
    assert calls[-1] == (size, size)


def test_big_file_can_be_cancelled_part_way(big_file: Path) -> None:
    seen: list[int] = []

    def cancel() -> bool:
        return bool(seen) and seen[-1] >= 20_000_000

    with pytest.raises(LoadCancelled):
        load_document(big_file, progress=lambda done, total: seen.append(done), cancel=cancel)
    assert 20_000_000 <= seen[-1] < big_file.stat().st_size


def test_cancel_before_start_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "small.txt"
    path.write_text("hello\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    with pytest.raises(LoadCancelled):
        load_document(path, progress=lambda d, t: calls.append((d, t)), cancel=lambda: True)
    assert calls == []


def test_small_file_and_pdf_progress_reach_total(tmp_path: Path) -> None:
    text_path = tmp_path / "small.txt"
    text_path.write_text("hello\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    load_document(text_path, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(6, 6)]

    pdf = write_pdf(tmp_path / "three.pdf", [["one"], ["two"], ["three"]])
    calls.clear()
    load_document(pdf, progress=lambda d, t: calls.append((d, t)))
    size = pdf.stat().st_size
    assert len(calls) == 3 and calls[-1] == (size, size)


def test_folder_progress_spans_all_files_and_cancel_is_not_a_skip(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    for index in range(4):
        (root / f"part{index}.log").write_text(LINE * 20_000, encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    total = sum(p.stat().st_size for p in root.iterdir())
    calls: list[tuple[int, int]] = []
    result = load_folder(root, progress=lambda d, t: calls.append((d, t)))
    assert len(result.documents) == 4 and len(result.skipped) == 1
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    seen: list[int] = []
    with pytest.raises(LoadCancelled):
        load_folder(
            root,
            progress=lambda d, t: seen.append(d),
            cancel=lambda: bool(seen) and seen[-1] >= total // 2,
        )
    assert seen[-1] < total
