"""What a loaded document is: its text plus the facts a UI shows about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import DocumentError

CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int) -> int:
    """A rough token count (about 4 characters per token); an estimate, not a tokenizer."""
    return (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


@dataclass(frozen=True, eq=False)
class Document:
    """One loaded document.

    `name` is what the user sees and the key in a multi-document context (the
    relative path for folder loads). `est_tokens` is an estimate (chars / 4).
    `encoding` is the detected text encoding; None for PDF, DOCX and pasted text.
    `encoding_note` says, for the user, how a text that is not plain UTF-8 was read
    (a guessed code page, a coding declaration, replaced bytes); None for UTF-8.
    """

    name: str
    path: Path | None
    text: str = field(repr=False)
    kind: str
    encoding: str | None
    size_bytes: int
    encoding_note: str | None = None
    chars: int = field(init=False)
    est_tokens: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chars", len(self.text))
        object.__setattr__(self, "est_tokens", estimate_tokens(len(self.text)))


class Skipped(NamedTuple):
    """A file a folder load left out, and why (in words for the user).

    `kind`: "excluded" (a default exclusion), "binary", "empty", "unreadable", "link" or "special".
    """

    path: str
    reason: str
    kind: str = "unreadable"


@dataclass
class FolderLoad:
    """The documents a folder (or mixed) load produced, in a stable order, and what it skipped."""

    documents: list[Document]
    skipped: list[Skipped]


def from_pasted_text(text: str, name: str = "pasted text") -> Document:
    """A document from text the user pasted or typed."""
    if not isinstance(text, str):
        raise DocumentError(f"Pasted text must be a string, not {type(text).__name__}.")
    if not text.strip():
        raise DocumentError("The pasted text is empty.")
    text = text.replace("\r\n", "\n")
    return Document(
        name=name,
        path=None,
        text=text,
        kind="text",
        encoding=None,
        size_bytes=len(text.encode("utf-8", errors="surrogatepass")),
    )
