"""Huge text files in the app: streamed into a context file in the data folder, never read as one str.

`stream_large_file` is the documents loader's `large=` hook (documents.load_paths): a UTF-8 text file of
documents.large_document_bytes() or more becomes a FileBackedDocument whose FileContext the run hands to the
sandbox worker as it is, as `rlm-studio run` does. The context file is written by a child process
(sandbox.context_build_child), so the app's GIL stays free for the window while gigabytes are decoded. Anything else (smaller, not UTF-8, PDF/DOCX/HTML, binary)
returns None and loads the ordinary way, with the ordinary messages. No Qt here: it runs on the load thread.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path
from typing import Any

from rlm_studio.storage.liveness import pid_alive

_created: list[Path] = []
_swept: list[bool] = []
_SAMPLE_BYTES = 1 << 20


def contexts_dir() -> Path:
    """$RLM_STUDIO_HOME/contexts (else the user data folder's): the context files of loaded documents."""
    from rlm_studio.storage.paths import data_dir

    return data_dir() / "contexts"


def stream_large_file(path: Path, label: str, name: str, size: int, reporter: Any) -> Any | None:
    """A FileBackedDocument for a text file of the threshold size or more (UTF-8, UTF-16/32, a legacy code page:
    read as the document loader reads it, newlines made \n), else None."""
    from rlm_studio.documents import STREAMABLE_KINDS, FileBackedDocument, LoadCancelled, large_document_bytes
    from rlm_studio.documents.kinds import kind_from_name
    from rlm_studio.documents.loader import PYTHON_SUFFIXES
    from rlm_studio.documents.text_reader import declared_encoding
    from rlm_studio.sandbox import ContextBuildCancelled, ContextFileError
    from rlm_studio.sandbox.context_build_child import build_in_child

    kind = kind_from_name(path)
    if size < large_document_bytes() or kind not in STREAMABLE_KINDS:
        return None
    try:
        with open(path, "rb") as handle:
            sample = handle.read(_SAMPLE_BYTES)
    except OSError:
        return None   # the ordinary loader says what is wrong with it
    codec, encoding, note = _encoding_of(sample, label)
    if codec is None or (path.suffix.lower() in PYTHON_SUFFIXES and declared_encoding(sample) not in (None, "utf-8")):
        return None   # the ordinary loader reads it (and a Python file's coding declaration) and says how
    dest = new_context_path()

    def cancelled() -> bool:
        try:
            reporter.check_cancel()
        except LoadCancelled:
            return True
        return False

    try:
        context = build_in_child([(name, path)], dest, progress=lambda done, _total: reporter.report(done),
                                 cancel=cancelled, encodings=[codec])
    except ContextBuildCancelled:
        raise LoadCancelled("Loading was cancelled.") from None
    except ContextFileError:
        return None   # not UTF-8 after all (past the sample), or empty: the ordinary loader reads it and says how
    track(dest)
    reporter.finish()
    return FileBackedDocument(name=name, path=path.absolute(), text="", kind=kind, encoding=encoding,
                              size_bytes=size, encoding_note=note, context=context)


def _encoding_of(sample: bytes, label: str) -> tuple[str | None, str, str | None]:
    """(codec to stream with, encoding name, note for the user) as the document loader would read the file;
    codec None where the ordinary loader must read it (binary-looking, mostly-UTF-8 with bad bytes, no fit)."""
    from rlm_studio.documents import DocumentError
    from rlm_studio.documents.encoding import bom_encoding, bomless_utf16, guess_legacy_encoding, is_utf8
    from rlm_studio.documents.sniffing import sniff_binary
    from rlm_studio.documents.text_reader import encoding_note, refuse_control_characters

    if sniff_binary(sample) is not None:
        return None, "", None
    bom = bom_encoding(sample)
    if bom is not None:
        codec, encoding = bom
    elif b"\x00" in sample:
        wide = bomless_utf16(sample)
        if wide is None:
            return None, "", None
        codec = encoding = wide
    elif is_utf8(sample, complete=len(sample) < _SAMPLE_BYTES):
        codec = encoding = "utf-8"
    else:
        guessed = guess_legacy_encoding(sample)
        if guessed is None:
            return None, "", None
        codec = encoding = guessed
    try:
        refuse_control_characters(sample, codec, label)
    except DocumentError:
        return None, "", None
    return codec, encoding, encoding_note(encoding, bom is not None)


def track(path: Path) -> None:
    """Remove this context file at exit too (a restored one, say); it must be in contexts_dir()."""
    if not _created:
        atexit.register(remove_created)
    if path not in _created:
        _created.append(path)


def new_context_path() -> Path:
    """A fresh context file's path in contexts/ (named by this process, so a later start can sweep it)."""
    folder = contexts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not _swept:
        _swept.append(True)
        _sweep(folder)
    return folder / f"{os.getpid()}-{uuid.uuid4().hex}.bin"


def remove_created() -> None:
    """Delete the context files this process wrote (at exit: a run of a later session restores its own)."""
    while _created:
        _created.pop().unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    """Remove context files (and partial ones) left by app processes that are gone (a crash, a kill)."""
    for leftover in folder.glob("*.bin*"):
        pid = leftover.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            leftover.unlink(missing_ok=True)
