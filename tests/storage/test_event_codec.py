"""The payload encoder (a C JSON encoder built once) writes exactly what json.dumps writes with the same options."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlm_studio.storage.event_codec import encode_json


def reference(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_any_json_value_encodes_as_json_dumps_does(value: object) -> None:
    assert encode_json(value) == reference(value)


@pytest.mark.parametrize("value", [
    {"text": "é ✓ \U0001f600 \x00 \n \"quoted\"", "n": [1, 2.5, -0.0, float("inf"), float("nan")]},
    {7: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    {"path": Path("/tmp/x"), "when": date(2026, 1, 31), "set": ("a", "b")},
    "just a string", 3, None, [],
])
def test_odd_values_encode_as_json_dumps_does(value: object) -> None:
    assert encode_json(value) == reference(value)
