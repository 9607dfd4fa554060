"""JSON text for the database: orjson where it writes the same values, the standard encoder where not.

orjson encodes an event's small payload in a sixth of the standard library's time (the largest part of
storing a sub-call). It differs from `json.dumps(ensure_ascii=False, default=str)` in what it refuses or
writes otherwise, and each such value takes the standard path, so what is stored reads back the same:
- NaN and infinities: orjson writes null, so any output with a null is encoded again (payloads leave out
  their None fields, so this is rare);
- keys that are not str, ints beyond 64 bits, lone surrogates, and types it does not know (dataclasses,
  dates, subclasses of str, int, dict and list included: json gives those their str() or base value) make
  it raise.
One difference remains: a plain `Enum` member is written as its value (json: its str()). Nothing stored
holds one. The texts may differ in spelling (escapes, float notation), never in the value read back.
Reading stays with `json.loads`, which reads exactly what either wrote (orjson reads ints beyond 64 bits
as floats).
"""

from __future__ import annotations

import json
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
_dumps = orjson.dumps
_json_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
# JSONEncoder.encode builds a new C encoder on every call: built once. Same text; without the
# circular-reference check, which stored values never need.
_c_encode = None if c_make_encoder is None or c_encode_basestring is None else c_make_encoder(
    None, str, c_encode_basestring, None, ":", ",", False, False, True)


def standard_json(value: Any) -> str:
    """Exactly `json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)`."""
    if _c_encode is None or isinstance(value, str):
        return _json_encoder.encode(value)
    return "".join(_c_encode(value, 0))


def encode_json(value: Any) -> str:
    """Compact JSON, non-ASCII kept as it is, unknown types as their str(): the value `standard_json`
    writes (see the module's note)."""
    try:
        data = _dumps(value, option=_OPTIONS)
    except TypeError:   # orjson.JSONEncodeError is one
        return standard_json(value)
    text = data.decode()
    if "null" in text:   # perhaps a NaN or infinity made null
        return standard_json(value)
    return text


def encode_json_rows(rows: Any, strict: bool = False) -> str:
    """JSON of a list of rows of plain values (strs, numbers, bools, None, small dicts), as fast as it gets:
    a NaN or infinity among them is written as null (unknown), which is what a stored figure can mean.
    `strict`: raise TypeError where orjson does not write them (else the standard encoder does)."""
    try:
        return _dumps(rows, option=_OPTIONS).decode()
    except TypeError:
        if strict:
            raise
        return standard_json(rows)
