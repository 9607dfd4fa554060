"""Texts stored once by sha256, and the event payloads whose big text fields point at them.

A payload keeps its small fields inline; each big text field is moved to `"$blobs": {field: hash}`,
and each chat message's content to `"$content": hash` on that message, so the root prompt that
repeats every earlier message each iteration costs one row per *new* message, not a new copy.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

from .errors import StorageError
from .text_safety import storable

# Fields holding texts that can be large, per event kind.
BLOB_FIELDS: dict[str, tuple[str, ...]] = {
    "run_started": ("question", "system_prompt"),
    "context_attached": ("text",),
    "model_call_finished": ("response",),
    "cell_started": ("code",),
    "cell_finished": ("stdout", "stderr"),
    "subcall_started": ("prompt",),
    "subcall_finished": ("response",),
    "final_answer": ("answer",),
    "run_finished": ("answer",),
    "history_compacted": ("summary",),
}
INLINE_MAX_CHARS = 200          # shorter texts stay in the payload
MESSAGE_INLINE_MAX_CHARS = 64
COMPRESS_MIN_BYTES = 1024
FAST_COMPRESS_BYTES = 4 << 20   # above this, a faster zlib level (a 100 MB document in ~1 s)


def text_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_blob(raw: bytes) -> tuple[bytes, bool]:
    if len(raw) < COMPRESS_MIN_BYTES:
        return raw, False
    packed = zlib.compress(raw, 1 if len(raw) > FAST_COMPRESS_BYTES else 6)
    return (packed, True) if len(packed) < len(raw) else (raw, False)


def decode_blob(data: bytes, compressed: int) -> str:
    raw = zlib.decompress(data) if compressed else bytes(data)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # written before texts were made storable: lone surrogates, kept as escapes
        return storable(raw.decode("utf-8", "surrogatepass"))


class BlobCollector:
    """Moves big texts out of payloads; `pending` holds new blobs to insert, keyed by hash."""

    def __init__(self) -> None:
        self.pending: dict[str, bytes] = {}
        self.refs: set[str] = set()
        self.unstorable = False     # set when a text had to be made storable (its event must be, too)

    def ref(self, text: str) -> str:
        clean = storable(text)
        if clean is not text:
            self.unstorable = True
        raw = clean.encode("utf-8")
        digest = text_hash(raw)
        self.refs.add(digest)
        if digest not in self.pending:
            self.pending[digest] = raw
        return digest

    def dehydrate(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        refs: dict[str, str] = {}
        for name in BLOB_FIELDS.get(kind, ()):
            value = payload.get(name)
            if isinstance(value, str) and len(value) > INLINE_MAX_CHARS:
                refs[name] = self.ref(value)
                del payload[name]
        if kind == "model_call_started" and isinstance(payload.get("messages"), list):
            payload["messages"] = [self._message(m) for m in payload["messages"]]
        if kind == "run_started" and _tool_files(payload):
            payload["settings"] = {**payload["settings"], "tools": [self._tool(t) for t in _tool_files(payload)]}
        if refs:
            payload["$blobs"] = refs
        return payload

    def _tool(self, tool: Any) -> Any:
        """A user tool file's source is stored once by hash, like any big text."""
        if isinstance(tool, dict) and isinstance(tool.get("source"), str) and len(tool["source"]) > INLINE_MAX_CHARS:
            tool = dict(tool)
            tool["$source"] = self.ref(tool.pop("source"))
        return tool

    def _message(self, message: Any) -> Any:
        if isinstance(message, dict) and isinstance(message.get("content"), str) \
                and len(message["content"]) > MESSAGE_INLINE_MAX_CHARS:
            message = dict(message)
            message["$content"] = self.ref(message.pop("content"))
        return message


def blob_hashes(payload: dict[str, Any]) -> list[str]:
    hashes = list((payload.get("$blobs") or {}).values())
    for message in payload.get("messages") or ():
        if isinstance(message, dict) and "$content" in message:
            hashes.append(message["$content"])
    hashes.extend(t["$source"] for t in _tool_files(payload) if isinstance(t, dict) and "$source" in t)
    return hashes


def _tool_files(payload: dict[str, Any]) -> list[Any]:
    """The user tool files in a run_started payload's settings (engine.tools), if any."""
    settings = payload.get("settings")
    tools = settings.get("tools") if isinstance(settings, dict) else None
    return tools if isinstance(tools, list) else []


def hydrate(payload: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """The inverse of dehydrate, given the texts of every hash the payload names."""
    refs = payload.pop("$blobs", None)
    if refs:
        for name, digest in refs.items():
            payload[name] = texts[digest]
    messages = payload.get("messages")
    if isinstance(messages, list):
        restored = []
        for message in messages:
            if isinstance(message, dict) and "$content" in message:
                message = dict(message)
                content = texts[message.pop("$content")]
                # keep the key order of the original message: content was usually second
                message = {"role": message.pop("role"), "content": content, **message} if "role" in message \
                    else {"content": content, **message}
            restored.append(message)
        payload["messages"] = restored
    tools = _tool_files(payload)
    if any(isinstance(t, dict) and "$source" in t for t in tools):
        payload["settings"]["tools"] = [
            {**{k: v for k, v in t.items() if k != "$source"}, "source": texts[t["$source"]]}
            if isinstance(t, dict) and "$source" in t else t for t in tools]
    return payload


def store_blobs(conn: sqlite3.Connection, run_id: str, collector: BlobCollector) -> None:
    """Insert the collector's new blobs (skipping known hashes) and the run's references to them."""
    if collector.pending:
        known: set[str] = set()
        hashes = list(collector.pending)
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in conn.execute(f"SELECT hash FROM blobs WHERE hash IN ({marks})", chunk))
        rows = []
        for digest, raw in collector.pending.items():
            if digest not in known:
                data, compressed = encode_blob(raw)
                rows.append((digest, len(raw), int(compressed), data))
        conn.executemany("INSERT OR IGNORE INTO blobs(hash, size, compressed, data) VALUES (?, ?, ?, ?)", rows)
        collector.pending.clear()
    if collector.refs:
        conn.executemany("INSERT OR IGNORE INTO blob_refs(run_id, hash) VALUES (?, ?)",
                         [(run_id, h) for h in collector.refs])
        collector.refs.clear()


def load_texts(conn: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, str]:
    wanted = list(set(hashes))
    texts: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for digest, data, compressed in conn.execute(
                f"SELECT hash, data, compressed FROM blobs WHERE hash IN ({marks})", chunk):
            texts[digest] = decode_blob(data, compressed)
    missing = set(wanted) - texts.keys()
    if missing:
        raise StorageError(f"the database is damaged: {len(missing)} stored text(s) are missing "
                           f"(e.g. {sorted(missing)[0][:12]}…)")
    return texts
