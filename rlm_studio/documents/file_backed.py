"""A document too large to hold as one str: its text lives in a context file the sandbox worker maps.

`LARGE_DOCUMENT_BYTES` is the one threshold the CLI and the app share: a UTF-8 text file at least this large
is streamed into a file-backed context (sandbox.FileContext) instead of being read into memory. The
environment variable RLM_STUDIO_LARGE_DOCUMENT_BYTES lowers (or raises) it, for tests and for machines with
little memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .document import Document, estimate_tokens

#: text files at least this large are streamed into a file-backed context (below it, a str is as fast)
LARGE_DOCUMENT_BYTES = 64 << 20
THRESHOLD_ENV = "RLM_STUDIO_LARGE_DOCUMENT_BYTES"
#: document kinds whose bytes are the text itself (HTML, PDF and DOCX need converting, so they load as str)
STREAMABLE_KINDS = ("text", "markdown", "code", "json", "csv")


def large_document_bytes() -> int:
    """The threshold in bytes: $RLM_STUDIO_LARGE_DOCUMENT_BYTES when it is a positive integer, else 64 MiB."""
    raw = os.environ.get(THRESHOLD_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return LARGE_DOCUMENT_BYTES


@dataclass(frozen=True, eq=False)
class FileBackedDocument(Document):
    """A Document whose `text` is empty: the text is in `context` (a sandbox.FileContext of one part, which
    documents does not import), and `chars` / `est_tokens` / `prefix` come from it."""

    context: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        chars = int(self.context.total_chars)
        object.__setattr__(self, "chars", chars)
        object.__setattr__(self, "est_tokens", estimate_tokens(chars))

    @property
    def prefix(self) -> str:
        """The first few thousand characters (kept while the file was written): what a preview shows."""
        return str(self.context.prefix)
