"""What a frame from a worker may contain. Model code can write frames of its own on the worker's
sockets, so the host believes only what passes these checks; anything else is a protocol violation.
"""

from __future__ import annotations

import math
from typing import Any

from .repl_functions import RESERVED_NAMES

MAX_ID = 2**53            # ids are counters: a JSON number any peer can represent exactly
MAX_COUNT = 2**62         # character counts and sizes
MAX_ERROR_CHARS = 100_000 + 1000  # cell_runner.MAX_ERROR_CHARS, its "... [N more characters]" suffix and a stop line
MAX_NAME_CHARS = 200      # repl_functions.MAX_NAME_CHARS
MAX_SUMMARY_CHARS = 1000
MAX_VARIABLES = 1000      # repl_functions.MAX_DESCRIBED_VARIABLES
MAX_BATCH = 100_000
MAX_MODEL_NAME_CHARS = 1000
REQUEST_KINDS = ("llm_query", "llm_query_batched", "rlm_query")
FINAL_SOURCES = ("FINAL", "FINAL_VAR")


class FrameViolation(ValueError):
    """A frame from the worker does not match the protocol; the message says what is wrong."""


def _fail(what: str) -> FrameViolation:
    return FrameViolation(what)


def _keys(message: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    missing = [key for key in required if key not in message]
    if missing:
        raise _fail(f"{message.get('op')!r} frame without {', '.join(missing)}")
    extra = [key for key in message if key not in required and key not in optional]
    if extra:
        raise _fail(f"{message.get('op')!r} frame with unknown fields {', '.join(repr(k)[:40] for k in extra[:5])}")


def _int(value: Any, what: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _fail(f"{what} must be a whole number from {low} to {high}, got {_show(value)}")
    return value


def _text(value: Any, what: str, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise _fail(f"{what} must be text, got {_show(value)}")
    if limit is not None and len(value) > limit:
        raise _fail(f"{what} has {len(value):,} characters; at most {limit:,} are allowed")
    return value


def _optional_text(value: Any, what: str, limit: int) -> str | None:
    return None if value is None else _text(value, what, limit)


def _bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise _fail(f"{what} must be true or false, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    kind = type(value).__name__
    if isinstance(value, (bool, int, float)) or value is None:
        return f"{kind} {str(value)[:40]}"
    return kind


def check_id(message: dict[str, Any]) -> int:
    return _int(message.get("id"), "id", 1, MAX_ID)


def check_result(message: dict[str, Any], max_output_chars: int) -> None:
    """A cell's result; `max_output_chars` is the capture limit the worker was started with."""
    _keys(message, ("op", "id", "stdout", "stderr", "stdout_chars", "stderr_chars", "error", "duration_ms",
                    "variables", "final", "timed_out", "interrupted", "restored"), ("background_chars",))
    check_id(message)
    for stream in ("stdout", "stderr"):
        kept = _text(message[stream], stream, max_output_chars)
        _int(message[f"{stream}_chars"], f"{stream}_chars", len(kept), MAX_COUNT)
    _int(message.get("background_chars", 0), "background_chars", 0, MAX_COUNT)
    duration = message["duration_ms"]
    if type(duration) not in (int, float) or not math.isfinite(duration) or duration < 0:
        raise _fail(f"duration_ms must be a finite number of milliseconds, got {_show(duration)}")
    error = message["error"]
    if error is not None:
        if not isinstance(error, dict):
            raise _fail(f"error must be an object or null, got {_show(error)}")
        _keys(dict(error, op="result.error"), ("op", "type", "message", "traceback"))
        _text(error["type"], "error type", MAX_NAME_CHARS)
        _text(error["message"], "error message", MAX_ERROR_CHARS)
        _text(error["traceback"], "error traceback", MAX_ERROR_CHARS)
    _check_variables(message["variables"])
    _check_final(message["final"])
    _bool(message["timed_out"], "timed_out")
    _bool(message["interrupted"], "interrupted")
    restored = message["restored"]
    if not isinstance(restored, list) or not all(isinstance(n, str) and n in RESERVED_NAMES for n in restored) \
            or len(set(restored)) != len(restored):
        raise _fail("restored must be a list of distinct reserved names")


def _check_variables(variables: Any) -> None:
    if not isinstance(variables, list) or len(variables) > MAX_VARIABLES:
        raise _fail(f"variables must be a list of at most {MAX_VARIABLES} entries")
    for item in variables:
        if not isinstance(item, dict):
            raise _fail(f"a variable must be an object, got {_show(item)}")
        _keys(dict(item, op="variable"), ("op", "name", "type", "size", "summary"))
        _text(item["name"], "variable name", MAX_NAME_CHARS)
        _text(item["type"], "variable type", MAX_NAME_CHARS)
        _text(item["summary"], "variable summary", MAX_SUMMARY_CHARS)
        if item["size"] is not None:
            _int(item["size"], "variable size", 0, MAX_COUNT)


def _check_final(final: Any) -> None:
    if final is None:
        return
    if not isinstance(final, dict):
        raise _fail(f"final must be an object or null, got {_show(final)}")
    _keys(dict(final, op="final"), ("op", "value", "source", "var"))
    _text(final["value"], "final value")
    if final["source"] not in FINAL_SOURCES:
        raise _fail("final source must be FINAL or FINAL_VAR")
    _optional_text(final["var"], "final variable name", MAX_NAME_CHARS)


def check_request(message: dict[str, Any]) -> None:
    """A sub-model request from model code (llm_query, llm_query_batched, rlm_query)."""
    kind = message.get("kind")
    if kind not in REQUEST_KINDS:
        raise _fail(f"unknown request kind {_show(kind) if not isinstance(kind, str) else repr(kind[:40])}")
    if kind == "llm_query_batched":
        _keys(message, ("op", "id", "kind", "prompts", "model"))
        prompts = message["prompts"]
        if not isinstance(prompts, list) or not 0 < len(prompts) <= MAX_BATCH \
                or not all(isinstance(p, str) for p in prompts):
            raise _fail(f"prompts must be a list of 1 to {MAX_BATCH:,} texts")
    elif kind == "llm_query":
        _keys(message, ("op", "id", "kind", "prompt", "model"))
        _text(message["prompt"], "prompt")
    else:
        _keys(message, ("op", "id", "kind", "prompt", "context"))
        _text(message["prompt"], "prompt")
    if "model" in message:
        _optional_text(message["model"], "model", MAX_MODEL_NAME_CHARS)
    check_id(message)


def check_simple(message: dict[str, Any]) -> None:
    """"ready" (the worker started) and "set_done" (a host variable was set)."""
    if message["op"] == "ready":
        _keys(message, ("op", "pid"))
        _int(message["pid"], "pid", 1, 2**31)
    else:
        _keys(message, ("op", "id"))
        check_id(message)
