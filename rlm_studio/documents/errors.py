"""Errors raised while turning files into text."""

from __future__ import annotations


class DocumentError(Exception):
    """A file or folder could not be loaded; the message names it and says why.

    `kind` says why in one word, for summaries of what a folder load skipped:
    "binary", "empty" or "unreadable".
    """

    def __init__(self, message: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.kind = kind


class LoadCancelled(Exception):
    """The caller's cancel callback asked to stop; deliberately not a DocumentError,
    so folder loads do not mistake it for one unreadable file and carry on."""
