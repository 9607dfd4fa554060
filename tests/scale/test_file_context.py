"""A file-backed context: streamed into a context file without one str of it in the app, mapped by the
real sandbox worker into `context` with the right length and text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rlm_studio.engine.settings import RunSettings
from rlm_studio.sandbox import ContextBuildCancelled, ContextFileError, FileContext, read_context
from rlm_studio.sandbox import file_context as file_context_module
from tests.engine.scripts import kinds, repl, run_session, script

MULTIBYTE = "Grüße, 東京 and 🚀 — "


def _texts(tmp_path: Path) -> dict[str, Path]:
    first = tmp_path / "notes.txt"
    first.write_text("".join(f"{i}: {MULTIBYTE}\n" for i in range(3000)), encoding="utf-8")
    second = tmp_path / "log.md"
    second.write_bytes(b"\xef\xbb\xbf" + b"# log\n" + b"the needle is 4242\n" * 5)   # with a BOM
    return {"notes.txt": first, "log.md": second}


def test_streamed_in_small_chunks_it_reads_back_as_the_documents(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 1000)   # multibyte characters split across reads
    files = _texts(tmp_path)
    seen: list[tuple[int, int]] = []
    context = FileContext.from_text_files(list(files.items()), tmp_path / "ctx.bin",
                                          progress=lambda done, total: seen.append((done, total)))
    expected = {name: path.read_text(encoding="utf-8-sig") for name, path in files.items()}
    assert read_context(context.path) == expected
    assert context.kind == "dict" and [p.name for p in context.parts] == list(files)
    assert [p.chars for p in context.parts] == [len(t) for t in expected.values()]
    assert [p.sha256 for p in context.parts] == [hashlib.sha256(t.encode()).hexdigest() for t in expected.values()]
    assert context.prefix == expected["notes.txt"][:len(context.prefix)] and len(context.prefix) > 100
    total = sum(p.stat().st_size for p in files.values())
    assert len(seen) > 10 and seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_cancel_stops_the_build_and_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 1000)
    files = _texts(tmp_path)
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(ContextBuildCancelled):
        FileContext.from_text_files(list(files.items()), tmp_path / "ctx.bin", cancel=cancel)
    assert not (tmp_path / "ctx.bin").exists() and not list(tmp_path.glob("ctx.bin*"))


def test_a_file_that_is_not_utf8_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "latin.txt"
    bad.write_bytes("caf\xe9 ".encode("latin-1") * 10)
    with pytest.raises(ContextFileError, match="latin.txt is not UTF-8"):
        FileContext.from_text_files([("latin.txt", bad)], tmp_path / "ctx.bin")
    assert not list(tmp_path.glob("ctx.bin*"))


def test_a_file_backed_context_reaches_the_sandbox_worker(tmp_path: Path) -> None:
    source = tmp_path / "big.txt"
    text = "".join(f"line {i}: {MULTIBYTE}\n" for i in range(20000))
    source.write_text(text, encoding="utf-8")
    context = FileContext.from_text_files([("big.txt", source)], tmp_path / "ctx.bin")
    code = "import json\nprint(json.dumps([type(context).__name__, len(context), context[:20], context.count('🚀')]))"
    root = script(tmp_path, "root", responses=[repl(code), "FINAL(done)"])
    result, events = run_session("How long is it?", context, RunSettings(root_model=root, max_iterations=3))
    assert result.status == "completed"
    printed = json.loads(kinds(events, "cell_finished")[0].stdout)
    assert printed == ["str", len(text), text[:20], 20000]
    started = kinds(events, "run_started")[0]
    assert started.context_meta["total_chars"] == len(text) and started.context_meta["type"] == "str"
    attached = kinds(events, "context_attached")
    assert [(a.chars, a.sha256) for a in attached] == [(len(text), hashlib.sha256(text.encode()).hexdigest())]
    call = kinds(events, "model_call_started")[0]
    assert f"{len(text):,}" in call.messages[1]["content"]        # the root model is told its size
    assert context.path.exists()                                  # the caller's file, not the run's to delete


def test_the_cli_streams_large_text_files_and_leaves_the_rest_to_the_loader(tmp_path: Path, monkeypatch,
                                                                            capsys) -> None:
    from rlm_studio.cli import large_context

    monkeypatch.setattr(large_context, "LARGE_CONTEXT_BYTES", 1000)
    files = _texts(tmp_path)
    context = large_context.load_large_context([str(p) for p in files.values()])
    assert isinstance(context, FileContext) and [p.name for p in context.parts] == list(files)
    assert "100%" in capsys.readouterr().err   # progress on stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 ".encode("latin-1") * 400)
    small = tmp_path / "small.txt"
    small.write_text("tiny", encoding="utf-8")
    assert large_context.load_large_context([str(latin)]) is None        # the loader reads it as cp1252
    assert large_context.load_large_context([str(small)]) is None        # under the threshold
    assert large_context.load_large_context([str(tmp_path)]) is None     # a folder


def test_a_file_backed_run_is_stored_with_its_context_size_and_hash(tmp_path: Path) -> None:
    import asyncio

    from rlm_studio.engine.session import RlmSession
    from rlm_studio.storage import Store

    files = _texts(tmp_path)
    context = FileContext.from_text_files(list(files.items()), tmp_path / "ctx.bin")
    root = script(tmp_path, "root", responses=[repl("print(sorted(context), len(context['log.md']))"), "FINAL(ok)"])
    with Store.open(tmp_path / "runs.db") as store:
        writer = store.writer()
        session = RlmSession("Which documents?", context, RunSettings(root_model=root, max_iterations=3),
                             sinks=[writer])
        result = asyncio.run(session.run())
        writer.close()
        run = store.get_run(session.run_id)
        stored = [e for e in store.load_events(session.run_id) if e.kind == "context_attached"]
        cells = [e for e in store.load_events(session.run_id) if e.kind == "cell_finished"]
    assert result.status == "completed" and run["status"] == "completed"
    expected = {name: path.read_text(encoding="utf-8-sig") for name, path in files.items()}
    assert cells[0].stdout.strip() == f"{sorted(expected)} {len(expected['log.md'])}"
    assert [(e.name, e.chars, e.sha256) for e in stored] == [
        (name, len(text), hashlib.sha256(text.encode()).hexdigest()) for name, text in expected.items()]


def test_the_streaming_writer_refuses_parts_out_of_order(tmp_path: Path) -> None:
    from rlm_studio.sandbox.context_file import ContextFileWriter

    with pytest.raises(ContextFileError):
        ContextFileWriter(tmp_path / "x.bin", "str", [None, None])
    writer = ContextFileWriter(tmp_path / "x.bin", "list", [None, None])
    writer.begin_part()
    writer.write(b"one")
    writer.end_part()
    with pytest.raises(ContextFileError, match="1 of 2 parts"):
        writer.close()
    assert not list(tmp_path.glob("x.bin*"))
