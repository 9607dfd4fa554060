import pytest

from rlm_studio.sandbox import ContextFileError, read_context, read_context_header, write_context


@pytest.mark.parametrize("value", [
    "plain text", "", "ünïcødé \U0001F600 and a lone surrogate \ud800",
    ["first doc", "", "third ✓"], {"a.txt": "alpha", "b.md": "", "ç.txt": "gamma"}, [], {},
])
def test_round_trip_keeps_value_and_shape(tmp_path, value):
    path = tmp_path / "ctx"
    write_context(value, path)
    assert read_context(path) == value
    assert type(read_context(path)) is type(value)


def test_header_gives_part_sizes_without_the_text(tmp_path):
    path = tmp_path / "ctx"
    write_context({"a": "xy", "b": "é"}, path)
    assert read_context_header(path) == {"kind": "dict", "parts": [["a", 0, 2], ["b", 2, 2]]}


@pytest.mark.parametrize("value, words", [
    (42, "not int"), (["ok", 3], "item 1 is int"), ({"a": b"x"}, "'a'"),
])
def test_bad_values_are_refused_with_a_clear_message(tmp_path, value, words):
    with pytest.raises(ContextFileError, match=words):
        write_context(value, tmp_path / "ctx")


def test_foreign_and_truncated_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.write_bytes(b"hello, not a context file")
    with pytest.raises(ContextFileError, match="not a context file"):
        read_context(foreign)
    path = tmp_path / "ctx"
    write_context("0123456789", path)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ContextFileError, match="truncated"):
        read_context(path)
