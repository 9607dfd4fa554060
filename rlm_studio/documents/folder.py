"""Load a folder (recursively) or a mix of files and folders."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .document import Document, FolderLoad, Skipped
from .errors import DocumentError
from .loader import load_with_reporter
from .progress import CancelCallback, ProgressCallback, Reporter

# Folders that hold tooling state rather than documents; not entered unless asked for.
DEFAULT_EXCLUDED_DIRS = (
    ".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".eggs", "*.egg-info",
)
DEFAULT_EXCLUDED_FILES = (".DS_Store", "Thumbs.db", "desktop.ini", "*.pyc", "*.pyo")
EXCLUDED_BY_DEFAULT = "excluded by default (an --include pattern that names it loads it)"
_WILDCARDS = set("*?[]/.!")
#: (path, label, name, size, reporter) -> a Document kept outside memory (file-backed), or None to load it as text
LargeLoader = Callable[[Path, str, str, int, Reporter], Document | None]


@dataclass(frozen=True)
class _Entry:
    path: Path
    label: str  # how messages name the file
    name: str  # the document name (relative path, prefixed with its folder's name in mixed loads)
    size: int


def load_folder(
    path: str | os.PathLike[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    default_excludes: bool = True,
    large: LargeLoader | None = None,
) -> FolderLoad:
    """Every readable file under `path`, named by its relative path, in sorted order.

    `include`/`exclude` are glob patterns matched (fnmatch) against the relative
    path ("docs/**", "src/*.py") or, for patterns without "/", the file name
    ("*.py"). Unreadable files (binary, empty, ...) are listed in `skipped` with the
    reason instead of failing the load. `progress(done, total)` counts bytes over
    all files. Raises DocumentError if the folder is missing or nothing in it loads.
    `large`, when given, is asked first for each file (see load_paths).
    """
    root = Path(path).expanduser()
    is_dir = _is_dir(root)
    if is_dir is None:
        raise DocumentError(f"Folder not found: {root}")
    if not is_dir:
        raise DocumentError(f"{root} is a file, not a folder; load it as a file instead.")
    return load_paths(
        [root], include=include, exclude=exclude, progress=progress, cancel=cancel,
        default_excludes=default_excludes,
        large=large,
    )


def load_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    default_excludes: bool = True,
    large: LargeLoader | None = None,
) -> FolderLoad:
    """Files and folders together, in the order given (each folder's files sorted).

    Files named directly are always loaded; include/exclude apply inside folders.
    With more than one path, documents from a folder are named "<folder>/<relative
    path>". A path that does not exist raises DocumentError; other problems become
    `skipped` entries, unless nothing at all could be loaded. `large(path, label, name, size, reporter)`,
    when given, is asked first for each file: a Document it returns (a file-backed one, for a huge text)
    is used as it is; None loads the file the ordinary way.
    """
    roots = [Path(p).expanduser() for p in paths]
    if not roots:
        raise DocumentError("No files or folders were given.")
    reporter = Reporter(0, progress, cancel)
    entries: list[_Entry] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for root in roots:
        reporter.check_cancel()
        is_dir = _is_dir(root)
        if is_dir is None:
            raise DocumentError(f"File or folder not found: {root}")
        if is_dir:
            prefix = f"{root.absolute().name}/" if len(roots) > 1 else ""
            found, left_out = _collect_folder(
                root, prefix, include, exclude, default_excludes, reporter
            )
            skipped.extend(left_out)
        else:
            found = [_Entry(root, str(root), root.name, _size(root))]
        for entry in found:
            key = entry.path.resolve()
            if key not in seen:
                seen.add(key)
                entries.append(entry)

    reporter.total = sum(entry.size for entry in entries)
    documents = _load_entries(entries, skipped, reporter, large)
    reporter.finish()
    if not documents:
        raise DocumentError(_nothing_loaded_message(roots, skipped))
    return FolderLoad(documents=documents, skipped=skipped)


def _load_entries(entries: list[_Entry], skipped: list[Skipped], reporter: Reporter,
                  large: LargeLoader | None = None) -> list[Document]:
    documents = []
    offset = 0
    for entry in entries:
        reporter.check_cancel()
        try:
            kept = large(entry.path, entry.label, entry.name, entry.size, reporter.child(offset, entry.size)) \
                if large is not None else None
            documents.append(kept if kept is not None else
                             load_with_reporter(entry.path, entry.label, reporter.child(offset, entry.size), entry.name))
        except DocumentError as exc:
            skipped.append(Skipped(entry.name, str(exc), exc.kind))
        offset += entry.size
        reporter.report(offset)
    return documents


def _collect_folder(
    root: Path,
    prefix: str,
    include: Sequence[str],
    exclude: Sequence[str],
    default_excludes: bool,
    reporter: Reporter,
) -> tuple[list[_Entry], list[Skipped]]:
    entries: list[_Entry] = []
    skipped: list[Skipped] = []

    def unlistable(error: OSError) -> None:
        rel = _relative(Path(error.filename or root), root)
        skipped.append(Skipped(prefix + rel, f"could not list this folder: {error.strerror or error}", "unreadable"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
        reporter.check_cancel()
        here = Path(dirpath)
        kept_dirs = []
        for dirname in sorted(dirnames):
            rel = _relative(here / dirname, root)
            if (here / dirname).is_symlink():
                skipped.append(Skipped(prefix + rel + "/", "a link to another folder; not followed", "link"))
            elif default_excludes and _matches_name(dirname, DEFAULT_EXCLUDED_DIRS) \
                    and not _dir_explicitly_included(rel, include):
                skipped.append(Skipped(prefix + rel + "/", EXCLUDED_BY_DEFAULT, "excluded"))
            elif not _dir_excluded(rel, exclude):
                kept_dirs.append(dirname)
        dirnames[:] = kept_dirs
        for filename in filenames:
            file_path = here / filename
            rel = _relative(file_path, root)
            if default_excludes and _matches_name(filename, DEFAULT_EXCLUDED_FILES) \
                    and not explicitly_included(rel, include):
                skipped.append(Skipped(prefix + rel, EXCLUDED_BY_DEFAULT, "excluded"))
                continue
            if include and not matches(rel, include):
                continue
            if exclude and matches(rel, exclude):
                continue
            try:
                info = file_path.stat()
            except OSError as exc:
                skipped.append(Skipped(prefix + rel, f"could not be opened: {exc.strerror or exc}", "unreadable"))
                continue
            if not stat.S_ISREG(info.st_mode):
                skipped.append(Skipped(prefix + rel, "not a regular file (a device, pipe or socket)", "special"))
                continue
            entries.append(_Entry(file_path, prefix + rel, prefix + rel, info.st_size))
    entries.sort(key=lambda entry: _sort_key(entry.label))
    skipped.sort(key=lambda item: _sort_key(item.path))
    return entries, skipped


def _sort_key(rel: str) -> tuple[tuple[str, str], ...]:
    """Folder by folder, ignoring case first (as file managers list them), then exactly."""
    return tuple((part.casefold(), part) for part in rel.rstrip("/").split("/"))


def matches(rel: str, patterns: Iterable[str]) -> bool:
    """True if the relative posix path `rel` matches one of the glob `patterns`."""
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        pattern = pattern.replace("\\", "/").removeprefix("./")
        if fnmatch.fnmatch(rel, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:]):
            return True
        if "/" not in pattern and fnmatch.fnmatch(name, pattern):
            return True
    return False


def _explicit(pattern: str) -> bool:
    """A pattern that names something ("venv/*", "*.pyc"), not one that matches anything ("*", "**/*")."""
    return any(char not in _WILDCARDS for char in pattern)


def explicitly_included(rel: str, include: Sequence[str]) -> bool:
    """True when an include pattern that names something matches this file: it wins over a default exclusion."""
    return any(_explicit(pattern) and matches(rel, [pattern]) for pattern in include)


def _dir_explicitly_included(rel_dir: str, include: Sequence[str]) -> bool:
    """True when an include pattern names this folder (or a folder of its path) as a folder to look in:
    "venv/**", "venv/lib/*.py", "**/node_modules/**"; a bare file pattern ("*.py") does not."""
    parts = rel_dir.split("/")
    for pattern in include:
        segments = pattern.replace("\\", "/").removeprefix("./").split("/")
        if len(segments) < 2:
            continue
        folders = [segment for segment in segments[:-1] if _explicit(segment)]
        if any(fnmatch.fnmatch(parts[-1], segment) for segment in folders):
            return True
        if fnmatch.fnmatch(rel_dir, "/".join(segments[:-1])):
            return _explicit("/".join(segments[:-1]))
    return False


def _dir_excluded(rel_dir: str, exclude: Sequence[str]) -> bool:
    """A folder is left out when an exclude pattern names it or everything in it."""
    if not exclude:
        return False
    return matches(rel_dir, exclude) or any(
        fnmatch.fnmatch(rel_dir + "/", pattern) for pattern in exclude if pattern.endswith("/**")
    )


def _matches_name(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _is_dir(path: Path) -> bool | None:
    """True for a folder, False for anything else that exists, None if nothing is there."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise DocumentError(f"Permission denied: you are not allowed to open {path}.") from None
    except OSError as exc:
        raise DocumentError(f"Could not open {path}: {exc.strerror or exc}.") from None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # load_document reports the real problem


def _nothing_loaded_message(roots: list[Path], skipped: list[Skipped]) -> str:
    where = ", ".join(str(root) for root in roots[:3]) + (" ..." if len(roots) > 3 else "")
    if not skipped:
        return f"No files found to load in {where}."
    reasons = "; ".join(f"{item.path}: {item.reason}" for item in skipped[:5])
    more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
    return f"Nothing could be loaded from {where}. Skipped: {reasons}{more}"
