"""Turn loaded documents into the RLM's `context` variable, and summarise them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .document import CHARS_PER_TOKEN, Document, FolderLoad, estimate_tokens
from .errors import DocumentError
from .file_backed import FileBackedDocument


def _as_list(documents: Document | FolderLoad | Iterable[Document]) -> list[Document]:
    if isinstance(documents, Document):
        return [documents]
    if isinstance(documents, FolderLoad):
        return list(documents.documents)
    return list(documents)


def unique_names(documents: list[Document]) -> list[str]:
    """Document names, with " (2)", " (3)"... added where two would be equal."""
    taken: set[str] = set()
    names = []
    for document in documents:
        name = document.name
        number = 2
        while name in taken:
            name = f"{document.name} ({number})"
            number += 1
        taken.add(name)
        names.append(name)
    return names


def as_context(documents: Document | FolderLoad | Iterable[Document]) -> str | dict[str, str]:
    """One document -> its text; several -> {name: text} in load order, names unique."""
    docs = _as_list(documents)
    if not docs:
        raise DocumentError("There are no documents to use as context.")
    if any(isinstance(doc, FileBackedDocument) for doc in docs):
        raise DocumentError("A file-backed document has no text in memory: use its context (run_context).")
    if len(docs) == 1:
        return docs[0].text
    return {name: doc.text for name, doc in zip(unique_names(docs), docs)}


def describe(documents: Document | FolderLoad | Iterable[Document]) -> dict[str, Any]:
    """A summary for UIs and CLIs. Token counts are estimates (about 4 characters per token)."""
    docs = _as_list(documents)
    total_chars = sum(doc.chars for doc in docs)
    summary: dict[str, Any] = {
        "count": len(docs),
        "total_chars": total_chars,
        "est_tokens": estimate_tokens(total_chars),
        "est_tokens_note": f"estimate: about {CHARS_PER_TOKEN} characters per token",
        "total_bytes": sum(doc.size_bytes for doc in docs),
        "kinds": dict(sorted(Counter(doc.kind for doc in docs).items())),
        "documents": [
            {"name": name, "kind": doc.kind, "chars": doc.chars, "est_tokens": doc.est_tokens}
            for name, doc in zip(unique_names(docs), docs)
        ],
    }
    if isinstance(documents, FolderLoad):
        summary["skipped"] = [{"path": s.path, "reason": s.reason} for s in documents.skipped]
    return summary


def run_context(documents: Document | FolderLoad | Iterable[Document],
                mixed: Callable[[list[Document]], Any] | None = None) -> Any:
    """What a run's `context` is: as_context's str or dict, or, for one file-backed document, its FileContext.

    A file-backed document among others needs them copied into one context file first (`mixed`, given by the
    caller that can do that off the UI thread, gets the documents); without `mixed`, DocumentError says so."""
    docs = _as_list(documents)
    backed = [doc for doc in docs if isinstance(doc, FileBackedDocument)]
    if not backed:
        return as_context(docs)
    if len(docs) == 1:
        return backed[0].context
    if mixed is None:
        raise DocumentError(
            f"{backed[0].name} is a large document kept in a file: it runs on its own here. Remove the "
            f"other {len(docs) - 1} document(s), or run them separately.")
    return mixed(docs)
