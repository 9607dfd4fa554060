"""The context of a stored file-backed run: what its events record of it (part names, lengths, hashes).

A run whose context was a sandbox.FileContext (a huge document kept in a file) records each part's name,
length and sha256 but not its text (`context_attached` with `text == ""` and `chars > 0`); the text is in
the blob store under that hash. Fork, re-execution and follow-ups get a StoredContext from recorded_context
and the layer that has the database turns it back into a FileContext (storage.file_contexts.materialize)
before the run starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredPart:
    name: str
    chars: int
    sha256: str


@dataclass(frozen=True)
class StoredContext:
    kind: str                          # "str" | "list" | "dict", as the run's context_kind
    parts: tuple[StoredPart, ...]

    @property
    def key(self) -> tuple[str, ...]:
        """The parts' hashes, in order: the same as FileContext.key for the context it came from."""
        return tuple(part.sha256 for part in self.parts)

    @property
    def total_chars(self) -> int:
        return sum(part.chars for part in self.parts)


def stored_context(kind: str, attached: list[Any]) -> StoredContext | None:
    """A StoredContext for a run's context_attached events when they are file-backed (no text), else None."""
    if not attached or not all(e.text == "" and e.chars > 0 and e.sha256 for e in attached):
        return None
    return StoredContext(kind=kind, parts=tuple(StoredPart(e.name, e.chars, e.sha256) for e in attached))


def same_context(a: Any, b: Any) -> bool:
    """Whether two contexts are the same text: equal values, or file-backed ones with the same part hashes."""
    if a is b:
        return True
    key_a, key_b = getattr(a, "key", None), getattr(b, "key", None)
    if key_a is not None or key_b is not None:
        return bool(key_a == key_b and getattr(a, "kind", None) == getattr(b, "kind", None))
    return bool(a == b)
