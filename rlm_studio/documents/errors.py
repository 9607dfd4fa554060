"""Errors raised while turning files into text."""

from __future__ import annotations


class DocumentError(Exception):
    """A file or folder could not be loaded; the message names it and says why."""


class LoadCancelled(Exception):
    """The caller's cancel callback asked to stop; deliberately not a DocumentError,
    so folder loads do not mistake it for one unreadable file and carry on."""
