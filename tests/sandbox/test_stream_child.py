"""A large file-backed document kept in and restored from the database by a child process (storage.stream_child):
the same blob and the same context file as in-process, progress to the end, and Cancel stores nothing.
The size from which the child is used is lowered, so the texts stay small."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.engine.recorded import recorded_context
from rlm_studio.engine.stored_context import StoredContext
from rlm_studio.sandbox import FileContext, read_context
from rlm_studio.sandbox import file_context as file_context_module
from rlm_studio.storage import Store, stream_child
from rlm_studio.storage import file_contexts as file_contexts_module
from rlm_studio.storage.blob_stream import StreamCancelled, store_stream
from rlm_studio.storage.file_contexts import materialize, store_file_context
from tests.sandbox.file_backed_helpers import record_run as _run

LINE = "Record {i:06d}: inspector Chloé signed — ok ✓\n"


@pytest.fixture
def in_child(monkeypatch):
    monkeypatch.setattr(stream_child, "IN_CHILD_BYTES", 0)
    monkeypatch.setattr(file_contexts_module, "IN_CHILD_BYTES", 0)
    started = []
    real = stream_child.run_child

    def counted(request, **kwargs):
        started.append(request["op"])
        return real(request, **kwargs)

    monkeypatch.setattr(stream_child, "run_child", counted)
    monkeypatch.setattr(file_contexts_module, "run_child", counted)
    return started


def test_kept_and_restored_by_a_child_byte_for_byte(tmp_path: Path, in_child) -> None:
    text = "".join(LINE.format(i=i) for i in range(20000))
    source = tmp_path / "doc.txt"
    source.write_text(text, encoding="utf-8")
    context = FileContext.from_text_files([("doc.txt", source)], tmp_path / "ctx.bin")
    with Store.open(tmp_path / "runs.db") as store:
        run_id = _run(context, tmp_path, store)
        done: list[tuple[int, int]] = []
        store_file_context(store.path, run_id, context, progress=lambda d, t: done.append((d, t)))
        assert in_child == ["pack"]
        assert done[-1] == (context.total_bytes, context.total_bytes) and len(done) > 1
        assert store.get_blob(context.parts[0].sha256) == text     # an ordinary compressed blob under its hash

        file_context_module._KNOWN.clear()       # as in a new process: nothing on disk is known
        stored = recorded_context(store.load_events(run_id))      # what a fork or follow-up gets
        assert isinstance(stored, StoredContext)
        seen: list[tuple[int, int]] = []
        restored = materialize(store.path, stored, tmp_path / "restored", progress=lambda d, t: seen.append((d, t)))
        assert in_child == ["pack", "write"]
        assert restored.path.read_bytes() == context.path.read_bytes()
        assert read_context(restored.path) == text
        assert [(p.chars, p.nbytes, p.sha256) for p in restored.parts] == \
            [(p.chars, p.nbytes, p.sha256) for p in context.parts]
        assert [p.name for p in restored.parts] == [p.name for p in stored.parts]   # as the run recorded them
        assert restored.prefix == context.prefix
        assert FileContext.known(context.key, "str") is restored      # remembered here, not only in the child
        assert seen[-1] == (context.total_bytes, context.total_bytes)


def test_cancel_while_the_child_packs_stores_nothing(tmp_path: Path, in_child) -> None:
    source = tmp_path / "doc.txt"
    source.write_text(LINE.format(i=1) * 200000, encoding="utf-8")
    with Store.open(tmp_path / "runs.db") as store:
        context = FileContext.from_text_files([("doc.txt", source)], tmp_path / "ctx.bin")
        _run(context, tmp_path, store)
        in_child.clear()
        from rlm_studio.storage.connection import connect

        conn = connect(store.path)
        try:
            with pytest.raises(StreamCancelled):
                store_stream(conn, "not-needed", source, 0, source.stat().st_size, cancel=lambda: True)
            digest = context.parts[0].sha256
            assert conn.execute("SELECT count(*) FROM blobs WHERE hash = ?", (digest,)).fetchone()[0] == 0
        finally:
            conn.close()
    assert in_child == ["pack"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("rlm-studio-blob-")) == []
