"""The payload encoder: orjson where it writes the same values, the standard encoder (exactly json.dumps's text)
where it does not; either way the stored text reads back as json.dumps's does."""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlm_studio.storage.json_text import encode_json, encode_json_rows, standard_json


def reference(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def same_value(a: Any, b: Any) -> bool:
    """Equal as JSON values, NaN equal to NaN and -0.0 told from 0.0 (what a stored figure keeps)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_the_standard_encoder_writes_exactly_what_json_dumps_writes(value: object) -> None:
    assert standard_json(value) == reference(value)


@given(json_values)
def test_any_json_value_reads_back_as_json_dumps_writes_it(value: object) -> None:
    assert same_value(json.loads(encode_json(value)), json.loads(reference(value)))


@dataclass
class Point:
    x: int


class Colour(enum.StrEnum):
    RED = "red"


class Name(str):
    pass


@pytest.mark.parametrize("value", [
    {"text": "é ✓ \U0001f600 \x00 \x1f \x7f \u2028 \n \"quoted\"", "n": [1, 2.5, -0.0, float("inf"), float("nan")]},
    {"cost": float("nan")}, [float("-inf")], {"big": 2 ** 70, "small": -(2 ** 64)}, {"lone": "a\ud800b"},
    {7: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    {"path": Path("/tmp/x"), "when": date(2026, 1, 31), "set": ("a", "b"), "point": Point(3)},
    {"colour": Colour.RED, "name": Name("n"), "null": None, "says null": "null"},
    "just a string", 3, None, [], 5e-324, 1e16, 0.1 + 0.2,
])
def test_odd_values_read_back_as_json_dumps_writes_them(value: object) -> None:
    assert same_value(json.loads(encode_json(value)), json.loads(reference(value)))


def test_values_orjson_would_write_otherwise_take_the_standard_path() -> None:
    """NaN (orjson: null), a dataclass (orjson: an object) and a date (orjson: ISO text) come out as json.dumps's."""
    for value in ({"cost": float("nan")}, {"point": Point(3)}, {"when": date(2026, 1, 31)}, {"big": 2 ** 70}):
        assert encode_json(value) == reference(value)


def test_rows_encode_to_the_same_values_a_nan_figure_as_unknown() -> None:
    rows = [["n1", None, 3, 1.5, True, {"response_preview": "é"}], ["n2", "n1", 2 ** 70, -0.0, False, {}]]
    assert json.loads(encode_json_rows(rows)) == json.loads(reference(rows))
    assert json.loads(encode_json_rows([[float("nan"), float("inf")]])) == [[None, None]]
