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
