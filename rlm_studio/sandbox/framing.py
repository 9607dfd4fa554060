"""Length-prefixed JSON frames: the only wire format between the app and a sandbox worker.

Stdlib only: the worker imports this file too. JSON (never pickle) so the host never
deserialises objects chosen by sandboxed code.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from typing import Any

_LENGTH_BYTES = 4
MAX_FRAME_BYTES = 256 << 20  # a cell result is a few MB at most; this bounds what a worker can make the app buffer


class FrameError(ValueError):
    """The peer sent something that is not a valid frame."""


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps(**options) builds one per call
_decode = json.JSONDecoder().decode


def encode_frame(message: Any) -> bytes:
    data = _encoder.encode(message).encode("utf-8", "surrogatepass")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"message of {len(data)} bytes is larger than the {MAX_FRAME_BYTES}-byte frame limit")
    return len(data).to_bytes(_LENGTH_BYTES, "big") + data


class FrameDecoder:
    """Turns a byte stream into decoded messages, however the stream is chunked."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes | bytearray) -> list[Any]:
        buffer = self._buffer
        if not buffer and len(data) >= _LENGTH_BYTES:  # fast path: exactly one whole frame, the usual case
            size = int.from_bytes(data[:_LENGTH_BYTES], "big")
            if size + _LENGTH_BYTES == len(data):
                return [self._parse(data[_LENGTH_BYTES:])]
        buffer += data
        messages: list[Any] = []
        start = 0
        end = len(buffer)
        while end - start >= _LENGTH_BYTES:
            size = int.from_bytes(buffer[start:start + _LENGTH_BYTES], "big")
            if size > MAX_FRAME_BYTES:
                raise FrameError(f"frame of {size} bytes announced; the limit is {MAX_FRAME_BYTES}")
            stop = start + _LENGTH_BYTES + size
            if stop > end:
                break
            messages.append(self._parse(buffer[start + _LENGTH_BYTES:stop]))
            start = stop
        if start:
            del buffer[:start]
        return messages

    @staticmethod
    def _parse(payload: bytes | bytearray) -> Any:
        try:
            return _decode(str(payload, "utf-8", "surrogatepass"))
        except (ValueError, RecursionError) as exc:
            raise FrameError(f"frame is not valid JSON: {exc}") from None
