"""Folder and mixed loads: recursion, patterns, default excludes, skipped files, order."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.documents import DocumentError, Skipped, as_context, load_folder, load_paths


def make_tree(root: Path) -> Path:
    files = {
        "README.md": "# Project\n",
        "src/app.py": "print('app')\n",
        "src/util/helpers.py": "def helper():\n    return 1\n",
        "docs/guide.md": "Guide text\n",
        "docs/api/index.md": "API text\n",
        "notes.txt": "note\n",
        ".git/config": "[core]\n",
        "node_modules/lib/index.js": "module.exports = 1\n",
        "src/__pycache__/app.cpython-311.pyc": "cached\n",
        ".venv/lib/site.py": "venv\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (root / "empty.txt").write_bytes(b"")
    return root


def test_recursive_load_names_order_and_skips(tmp_path: Path) -> None:
    result = load_folder(make_tree(tmp_path / "project"))
    names = [doc.name for doc in result.documents]
    assert names == [
        "docs/api/index.md", "docs/guide.md", "notes.txt", "README.md",
        "src/app.py", "src/util/helpers.py",
    ]
    skipped = {item.path: item.reason for item in result.skipped}
    assert "PNG image" in skipped["logo.png"]
    assert "is empty" in skipped["empty.txt"]
    for folder in (".git/", "node_modules/", ".venv/", "src/__pycache__/"):
        assert skipped[folder].startswith("excluded by default")
    assert all(isinstance(item, Skipped) for item in result.skipped)


def test_order_is_the_same_every_time(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "project")
    first = load_folder(root)
    second = load_folder(root)
    assert [d.name for d in first.documents] == [d.name for d in second.documents]
    assert first.skipped == second.skipped


def test_include_patterns(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "project")
    assert [d.name for d in load_folder(root, include=["*.py"]).documents] == [
        "src/app.py", "src/util/helpers.py",
    ]
    assert [d.name for d in load_folder(root, include=["docs/**"]).documents] == [
        "docs/api/index.md", "docs/guide.md",
    ]
    assert [d.name for d in load_folder(root, include=["*.md", "notes.txt"]).documents] == [
        "docs/api/index.md", "docs/guide.md", "notes.txt", "README.md",
    ]


def test_exclude_patterns(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "project")
    names = [d.name for d in load_folder(root, exclude=["docs/**", "*.txt"]).documents]
    assert names == ["README.md", "src/app.py", "src/util/helpers.py"]
    names = [d.name for d in load_folder(root, include=["*.py"], exclude=["src/util/*"]).documents]
    assert names == ["src/app.py"]


def test_default_excludes_can_be_turned_off(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "project")
    names = {d.name for d in load_folder(root, include=["*.js"], default_excludes=False).documents}
    assert names == {"node_modules/lib/index.js"}


def test_nothing_loadable_raises_with_reasons(tmp_path: Path) -> None:
    root = tmp_path / "images"
    root.mkdir()
    (root / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    with pytest.raises(DocumentError, match=r"Nothing could be loaded.*a\.png.*PNG image"):
        load_folder(root)
    with pytest.raises(DocumentError, match="No files found"):
        load_folder(root, include=["*.md"])


def test_missing_folder_and_file_given_as_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="Folder not found"):
        load_folder(tmp_path / "nowhere")
    file_path = tmp_path / "f.txt"
    file_path.write_text("x", encoding="utf-8")
    with pytest.raises(DocumentError, match="is a file, not a folder"):
        load_folder(file_path)


def test_load_paths_mixes_files_and_folders(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "alpha")
    second = tmp_path / "beta"
    second.mkdir()
    (second / "README.md").write_text("# Beta\n", encoding="utf-8")
    loose = tmp_path / "loose.txt"
    loose.write_text("loose file\n", encoding="utf-8")
    result = load_paths([loose, second, first, loose], include=["*.md"])
    names = [d.name for d in result.documents]
    assert names == [
        "loose.txt", "beta/README.md", "alpha/docs/api/index.md", "alpha/docs/guide.md", "alpha/README.md",
    ]
    context = as_context(result)
    assert isinstance(context, dict) and list(context) == names
    assert context["beta/README.md"] == "# Beta\n"


def test_load_paths_reports_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"File or folder not found: .*ghost\.txt"):
        load_paths([tmp_path / "ghost.txt"])
