"""Exceptions turned into sentences a user can act on."""

from __future__ import annotations

import sqlite3


def describe_error(exc: BaseException, doing: str) -> str:
    """One or two sentences: what went wrong while `doing`, and what to do about it."""
    name = type(exc).__name__
    text = str(exc).strip() or name
    lowered = text.lower()
    if name == "StorageError" or isinstance(exc, sqlite3.Error):
        if "locked" in lowered or "busy" in lowered:
            return (f"The database is locked by another program while {doing} ({text}). "
                    "Close the other program or choose another database in Settings.")
        if "full" in lowered or "no space" in lowered:
            return (f"The disk is full while {doing} ({text}). Free some space; "
                    "what was recorded so far is kept.")
        return f"A database problem while {doing}: {text}"
    if isinstance(exc, OSError) and getattr(exc, "errno", None) == 28:
        return f"The disk is full while {doing}. Free some space; what was recorded so far is kept."
    if name == "ModelError":
        kind = getattr(exc, "kind", "unknown")
        hints = {
            "auth": "Check the API key in Settings (or the provider's environment variable).",
            "connection": "Is the model server running and reachable?",
            "not_found": "Check the model name.",
            "rate_limit": "The provider is limiting requests; try again later.",
            "timeout": "The model took too long to answer.",
        }
        message = getattr(exc, "message", text)
        return f"The model call failed while {doing}: {message} {hints.get(kind, '')}".strip()
    if name in ("UnknownModelError", "ScriptFileError", "DocumentError", "ValueError"):
        return f"{text[0].upper()}{text[1:]}" if text else f"Bad input while {doing}."
    if isinstance(exc, MemoryError):
        return f"Out of memory while {doing}."
    return f"Something went wrong while {doing}: {name}: {text}"
