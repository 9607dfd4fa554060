"""File-backed runs in the app: keep a run's huge document in the database after the run, and stream it back
into the data folder's contexts/ when a fork or follow-up of such a run starts. No Qt: called off the UI
thread (RunController runs them in the executor)."""

from __future__ import annotations

from typing import Any


def keep_document(store: Any, run_id: str, context: Any) -> None:
    """Stream a FileContext's parts into the blob store for `run_id` (only a reference when already stored)."""
    from rlm_studio.sandbox import FileContext
    from rlm_studio.storage.file_contexts import store_file_context

    if store is not None and isinstance(context, FileContext):
        store_file_context(store.path, run_id, context)


def restore_plan_context(plan: Any, store: Any) -> None:
    """Replace a StoredContext in `plan.context` (a fork or follow-up plan) with its FileContext."""
    plan.context = restore_context(store, plan.context)


def restore_context(store: Any, value: Any) -> Any:
    """`value` itself, or for a StoredContext (a file-backed run's recorded context) its FileContext: the file
    this process still has, else one streamed out of the database into contexts/. StorageError when the
    document is not there."""
    from rlm_studio.engine.stored_context import StoredContext
    from rlm_studio.storage import StorageError
    from rlm_studio.storage.file_contexts import materialize

    from .file_backed_loader import contexts_dir, track

    if not isinstance(value, StoredContext):
        return value
    if store is None:
        raise StorageError("this run's document was kept in a file, and without the database it cannot be restored")
    restored = materialize(store.path, value, contexts_dir())
    track(restored.path)
    return restored


class MixedDocuments:
    """A run's documents when a file-backed one is among several: they become one dict context file
    (`combine`, off the UI thread, when the run starts) rather than texts copied together in memory."""

    def __init__(self, documents: list[Any]):
        self.documents = list(documents)


def combine(mixed: MixedDocuments) -> Any:
    """One dict FileContext (name -> text, names unique as for any multi-document run) of every document: a
    file-backed one's bytes copied from its context file in chunks, an ordinary one's text encoded."""
    import hashlib

    from rlm_studio.documents.context import unique_names
    from rlm_studio.sandbox import FileContext
    from rlm_studio.sandbox.context_file import ContextFileWriter
    from rlm_studio.sandbox.file_context import CHUNK_BYTES, PREFIX_CHARS, ContextPart

    from .file_backed_loader import new_context_path, track

    names = unique_names(mixed.documents)
    hashes = tuple(document.context.parts[0].sha256 if getattr(document, "context", None) is not None else
                   hashlib.sha256(document.text.encode("utf-8", "surrogatepass")).hexdigest()
                   for document in mixed.documents)
    already = FileContext.known(hashes, "dict", names)
    if already is not None:   # the same documents run again: their combined file is still there
        return already
    dest = new_context_path()
    writer = ContextFileWriter(dest, "dict", list(names))
    parts: list[ContextPart] = []
    prefix = ""
    try:
        for name, document in zip(names, mixed.documents):
            writer.begin_part()
            backed = getattr(document, "context", None)
            if backed is not None:
                (offset, length), = backed.part_ranges()
                with open(backed.path, "rb") as source:
                    source.seek(offset)
                    left = length
                    while left > 0:
                        chunk = source.read(min(CHUNK_BYTES, left))
                        writer.write(chunk)
                        left -= len(chunk)
                part = backed.parts[0]
                parts.append(ContextPart(name=name, chars=part.chars, nbytes=part.nbytes, sha256=part.sha256))
                head = backed.prefix
            else:
                data = document.text.encode("utf-8", "surrogatepass")
                writer.write(data)
                parts.append(ContextPart(name=name, chars=len(document.text), nbytes=len(data),
                                         sha256=hashlib.sha256(data).hexdigest()))
                head = document.text[:PREFIX_CHARS]
            writer.end_part()
            prefix = prefix or head
        writer.close()
    except BaseException:
        writer.abort()
        raise
    track(dest)
    return FileContext(path=dest, kind="dict", parts=tuple(parts), prefix=prefix).remember()
