"""What a load should tell the user, as plain lines: the files it skipped and why, and how texts that are
not UTF-8 were read. The CLI prints these on stderr; the app lists them in the new-run panel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .document import Document, Skipped

KIND_WORDS = {"excluded": "excluded by default", "binary": "binary", "empty": "empty", "unreadable": "unreadable",
              "link": "links not followed", "special": "not regular files"}


def skipped_line(item: Skipped) -> str:
    """One skipped file or folder: its path and the reason (the reason may already name the path)."""
    return item.reason if item.reason.startswith(item.path) else f"{item.path}: {item.reason}"


def skipped_lines(skipped: Sequence[Skipped], limit: int = 20) -> list[str]:
    """A count by reason, then up to `limit` of the skipped paths with their reasons."""
    if not skipped:
        return []
    counts = Counter(item.kind for item in skipped)
    by_kind = ", ".join(f"{n} {KIND_WORDS.get(kind, kind)}" for kind, n in counts.most_common())
    lines = [f"skipped {len(skipped)} file(s) or folder(s): {by_kind}"]
    lines += [f"  {skipped_line(item)}" for item in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more")
    return lines


def encoding_lines(documents: Iterable[Document]) -> list[str]:
    """For each document not read as plain UTF-8: how it was read (a guessed code page deserves a look)."""
    return [f"{doc.name}: {doc.encoding_note}" for doc in documents if doc.encoding_note]
