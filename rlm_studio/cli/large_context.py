"""Huge text files as a file-backed context: streamed into a context file instead of read as one str."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rlm_studio.documents.file_backed import LARGE_DOCUMENT_BYTES, STREAMABLE_KINDS, THRESHOLD_ENV, large_document_bytes

#: text files together at least this large are streamed (the app's threshold: documents.LARGE_DOCUMENT_BYTES)
LARGE_CONTEXT_BYTES = LARGE_DOCUMENT_BYTES


def load_large_context(paths: list[str], quiet: bool = False) -> Any | None:
    """A sandbox.FileContext for plain text files of LARGE_CONTEXT_BYTES or more, else None (the caller
    loads them the ordinary way: folders, PDF/DOCX/HTML, other encodings, small inputs)."""
    from rlm_studio.documents.kinds import kind_from_name
    from rlm_studio.sandbox import ContextFileError, FileContext

    files = [Path(raw).expanduser() for raw in paths]
    if not all(f.is_file() and kind_from_name(f) in STREAMABLE_KINDS for f in files):
        return None
    threshold = large_document_bytes() if os.environ.get(THRESHOLD_ENV) else LARGE_CONTEXT_BYTES
    if sum(f.stat().st_size for f in files) < threshold or len({f.name for f in files}) != len(files):
        return None
    folder = Path(tempfile.mkdtemp(prefix="rlm-studio-context-"))
    atexit.register(shutil.rmtree, folder, True)
    progress = _percent_printer("loading {mb} MB", 10, quiet)
    try:
        return FileContext.from_text_files([(f.name, f) for f in files], folder / "context.bin", progress=progress)
    except ContextFileError:
        shutil.rmtree(folder, ignore_errors=True)
        return None   # not UTF-8, say: the ordinary loader reads it and says how


def _percent_printer(what: str, step: int, quiet: bool) -> Callable[[int, int], None]:
    """A progress(done, total) that prints "WHAT: N%" on stderr each time another `step` percent is done
    (`what` may name {mb}, the total in MB); silent when quiet."""
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if not quiet and percent // step != last[0] // step:
            print(f"{what.format(mb=f'{total / 1e6:,.0f}')}: {percent}%", file=sys.stderr, flush=True)
        last[0] = percent

    return progress


def keep_in_store(store: Any, run_id: str, context: Any, quiet: bool = False) -> None:
    """After a run of a FileContext: stream its document into the database (so the run can be forked,
    re-executed and asked again); a failure is a warning, the run itself is stored either way."""
    from rlm_studio.sandbox import FileContext
    from rlm_studio.storage import StorageError
    from rlm_studio.storage.file_contexts import store_file_context

    if not isinstance(context, FileContext):
        return
    progress = _percent_printer("keeping the {mb} MB document in the database", 25, quiet)
    try:
        store_file_context(store.path, run_id, context, progress=progress)
    except StorageError as exc:
        print(f"warning: the document was not kept in the database ({exc}): this run cannot be forked, "
              "re-executed or continued with ask", file=sys.stderr)


def restore_context(store: Any, value: Any, quiet: bool = False) -> Any:
    """`value` (a recorded context), with a file-backed run's document streamed back out of the database into a
    context file (removed at exit); CliError when it is not there."""
    from rlm_studio.engine.stored_context import StoredContext
    from rlm_studio.storage import StorageError
    from rlm_studio.storage.file_contexts import materialize

    from .common import CliError

    if not isinstance(value, StoredContext):
        return value
    if store is None:
        raise CliError("this run's document was kept in a file, and without the database it cannot be restored")
    from rlm_studio.sandbox import FileContext

    known = FileContext.known(value.key, value.kind, [part.name for part in value.parts])
    if known is not None:
        return known   # this process wrote that file (run --then): no need to restore it
    folder = Path(tempfile.mkdtemp(prefix="rlm-studio-context-"))
    atexit.register(shutil.rmtree, folder, True)
    if not quiet:
        print(f"restoring the run's document ({value.total_chars:,} characters) from the database",
              file=sys.stderr, flush=True)
    try:
        return materialize(store.path, value, folder)
    except StorageError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise CliError(str(exc)) from None
