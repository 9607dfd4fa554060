"""A file-backed context built by a child process: the same file and FileContext as in-process, its errors
as ContextFileError, and Cancel kills the child mid-stream and leaves no file."""

import os
import threading

import pytest

from rlm_studio.sandbox import ContextBuildCancelled, ContextFileError, FileContext, read_context
from rlm_studio.sandbox import file_context as file_context_module
from rlm_studio.sandbox.context_build_child import build_in_child


def test_the_child_builds_what_the_app_would(tmp_path, monkeypatch):
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 4096)   # passed on to the child: many chunks
    text = "".join(f"line {i}: Chloé ✓\r\n" for i in range(5000))
    source = tmp_path / "doc.txt"
    source.write_bytes(text.encode("utf-8"))
    seen = []
    built = build_in_child([("doc.txt", source)], tmp_path / "child.bin", progress=lambda d, t: seen.append((d, t)))
    direct = FileContext.from_text_files([("doc.txt", source)], tmp_path / "direct.bin")
    assert read_context(built.path) == text.replace("\r\n", "\n")
    assert (built.kind, built.parts, built.prefix) == (direct.kind, direct.parts, direct.prefix)
    assert FileContext.known(built.key, "str") is not None       # remembered in this process, as from_text_files does
    assert len(seen) > 10 and seen[-1] == (source.stat().st_size, source.stat().st_size)


def test_a_file_that_does_not_decode_is_a_context_file_error(tmp_path):
    source = tmp_path / "bad.txt"
    source.write_bytes(b"fine so far \xff\xfe then not")
    with pytest.raises(ContextFileError, match="bad.txt is not UTF-8 text"):
        build_in_child([("bad.txt", source)], tmp_path / "out.bin")
    assert os.listdir(tmp_path) == ["bad.txt"]


def test_cancel_kills_the_child_while_it_streams_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 4096)   # a read returns once a chunk has come
    source = tmp_path / "pipe.txt"
    os.mkfifo(source)              # the child reads what this test writes, so it is mid-stream when cancelled
    fed = threading.Event()

    def feed():
        with open(source, "wb") as pipe:
            pipe.write(b"a" * 8192)   # two chunks, within the pipe's buffer: the write does not wait for the child
            pipe.flush()
            fed.wait(60)           # keep the pipe open: the child waits for more (until this test is done)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    progressed = threading.Event()
    with pytest.raises(ContextBuildCancelled):
        build_in_child([("pipe.txt", source)], tmp_path / "out.bin", progress=lambda d, t: progressed.set(),
                       cancel=progressed.is_set)
    assert feeder.is_alive()       # cancelled while the child still waited for the rest of the text
    fed.set()
    feeder.join(10)
    assert progressed.is_set()
    assert sorted(os.listdir(tmp_path)) == ["pipe.txt"]   # no context file, no partial one
