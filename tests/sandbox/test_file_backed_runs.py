"""File-backed runs kept whole: the document streamed into the blob store and back byte for byte, and a
fork, a follow-up and a re-execution of such a run that answer from the same text (real sandbox worker,
real SQLite, the CLI as a subprocess, each in its own process so the text really comes from the database)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.engine.recorded import recorded_context
from rlm_studio.engine.stored_context import StoredContext
from rlm_studio.sandbox import FileContext, read_context
from rlm_studio.sandbox import file_context as file_context_module
from rlm_studio.storage import StorageError, Store
from rlm_studio.storage import blob_stream as blob_stream_module
from rlm_studio.storage.file_contexts import materialize, store_file_context
from tests.sandbox.file_backed_helpers import record_run as _run
from tests.support.scripts import repl, script

ROOT = Path(__file__).resolve().parents[2]
LINE = "Record {i:06d}: dock {d}, inspector Chloé signed at 12:{m:02d} — ok ✓\n"


def _text(lines: int) -> str:
    return "".join(LINE.format(i=i, d=i % 17, m=i % 60) for i in range(lines))


def test_the_stored_document_streams_back_byte_exact(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 5000)
    monkeypatch.setattr(blob_stream_module, "CHUNK_BYTES", 3000)     # many chunks both ways, characters split
    notes, log = tmp_path / "notes.txt", tmp_path / "log.md"
    notes.write_text(_text(3000), encoding="utf-8")
    log.write_text("# log\n" + "the needle is 4242\n" * 40, encoding="utf-8")
    context = FileContext.from_text_files([("notes.txt", notes), ("log.md", log)], tmp_path / "ctx.bin")
    with Store.open(tmp_path / "runs.db") as store:
        run_a = _run(context, tmp_path, store)
        done: list[tuple[int, int]] = []
        store_file_context(store.path, run_a, context, progress=lambda d, t: done.append((d, t)))
        assert done[-1] == (context.total_bytes, context.total_bytes)
        stored = recorded_context(store.load_events(run_a))     # what a fork or follow-up gets from the events
        assert isinstance(stored, StoredContext) and stored.key == context.key
        # the blob is an ordinary compressed blob under the text's own sha256
        for part, path in zip(context.parts, (notes, log)):
            assert store.get_blob(part.sha256) == path.read_text(encoding="utf-8")
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute("select size, compressed from blobs where hash = ?", (context.parts[0].sha256,)).fetchall()
        assert rows == [(context.parts[0].nbytes, 1)]

        file_context_module._KNOWN.clear()       # as in a new process: nothing on disk is known
        restored = materialize(store.path, stored, tmp_path / "restored")
        assert isinstance(restored, FileContext) and restored.path.parent == tmp_path / "restored"
        assert restored.path.read_bytes() == context.path.read_bytes()   # the same context file, byte for byte
        assert read_context(restored.path) == {"notes.txt": _text(3000), "log.md": log.read_text(encoding="utf-8")}
        assert restored.prefix == context.prefix and restored.parts == context.parts
        assert materialize(store.path, stored, tmp_path / "again") is restored   # known now: not restored twice

        # a second run of the same document refers to the same blob; it goes when no run uses it
        run_b = _run(context, tmp_path, store)
        store_file_context(store.path, run_b, context)
        with sqlite3.connect(store.path) as conn:
            count = "select count(*) from blobs where hash = ?"
            assert conn.execute(count, (context.parts[0].sha256,)).fetchone() == (1,)
        store.delete_run(run_a)
        with sqlite3.connect(store.path) as conn:
            assert conn.execute(count, (context.parts[0].sha256,)).fetchone() == (1,)
        store.delete_run(run_b)
        with sqlite3.connect(store.path) as conn:
            assert conn.execute(count, (context.parts[0].sha256,)).fetchone() == (0,)
            assert conn.execute("select count(*) from blobs where hash like 'partial:%'").fetchone() == (0,)


def test_a_run_whose_document_was_not_kept_is_refused_with_a_reason(tmp_path: Path) -> None:
    source = tmp_path / "doc.txt"
    source.write_text(_text(200), encoding="utf-8")
    context = FileContext.from_text_files([("doc.txt", source)], tmp_path / "ctx.bin")
    with Store.open(tmp_path / "runs.db") as store:
        run_id = _run(context, tmp_path, store)
        stored = recorded_context(store.load_events(run_id))
        file_context_module._KNOWN.clear()
        with pytest.raises(StorageError, match="is not in the database"):
            materialize(store.path, stored, tmp_path / "restored")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env={**os.environ, **env})


def test_fork_ask_and_reexecute_of_a_file_backed_cli_run_read_the_same_text(tmp_path: Path) -> None:
    text = _text(6000)
    doc = tmp_path / "logbook.txt"
    doc.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    model = script(tmp_path, "root", rules=[
        {"match": "Question: Which is record 17", "content":
            repl("FINAL(context.splitlines()[17] + ' / ' + str(n))")},
        {"match": "RECORD-LEN", "content": repl("answer = context.splitlines()[4321] + ' / ' + str(n)\n"
                                                "FINAL_VAR('answer')")},
    ], default=repl("import hashlib\nn = len(context)\n"
                    "print('RECORD-LEN', n, hashlib.sha256(context.encode()).hexdigest())"))
    db = tmp_path / "runs.db"
    env = {"RLM_STUDIO_LARGE_DOCUMENT_BYTES": "100000", "RLM_STUDIO_HOME": str(tmp_path / "home")}
    first = cli("run", "-c", str(doc), "-q", "Which is record 4321?", "--root-model", model, "--db", str(db),
                "--json", env=env)
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    expected = f"{text.splitlines()[4321]} / {len(text)}"
    assert json.loads(first.stdout)["answer"] == expected
    with sqlite3.connect(db) as conn:   # streamed as a file, stored as a blob: no text in its context event
        assert conn.execute("select size, compressed from blobs where hash = ?", (digest,)).fetchone() == \
            (len(text.encode()), 1)
        assert conn.execute("select count(*) from blob_refs where run_id = ? and hash = ?",
                            (run_id, digest)).fetchone() == (1,)

    with Store.open(db) as store:
        attached = [e for e in store.load_events(run_id) if e.kind == "context_attached"]
    assert [(a.text, a.chars, a.sha256) for a in attached] == [("", len(text), digest)]   # the run was file-backed

    fork = cli("fork", run_id[:12], "--at", "2", "--db", str(db), "--json", env=env)
    assert fork.returncode == 0, fork.stderr
    assert json.loads(fork.stdout)["answer"] == expected       # iteration 1 rebuilt on the restored document

    ask = cli("ask", run_id[:12], "Which is record 17?", "--db", str(db), "--json", env=env)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["answer"] == f"{text.splitlines()[17]} / {len(text)}"

    again = cli("replay", run_id[:12], "--reexecute", "--db", str(db), "--json", env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["differences"] == [] and report["answer"] == expected   # the same output, hash included

    with sqlite3.connect(db) as conn:   # the fork and the follow-up refer to the document as well
        refs = conn.execute("select count(*) from blob_refs where hash = ?", (digest,)).fetchone()[0]
    assert refs == 3

    # run ... --then: the first turn streams the file, the next one continues on the same file-backed context
    both = cli("run", "-c", str(doc), "-q", "Which is record 4321?", "--then", "Which is record 17?",
               "--root-model", model, "--db", str(db), env=env)
    assert both.returncode == 0, both.stderr
    assert both.stdout.splitlines() == [expected, f"{text.splitlines()[17]} / {len(text)}"]
    assert "restoring" not in both.stderr      # the same process still has the file: nothing was restored


def test_a_cancelled_store_leaves_nothing_in_the_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(blob_stream_module, "CHUNK_BYTES", 3000)
    source = tmp_path / "doc.txt"
    source.write_text(_text(2000), encoding="utf-8")
    context = FileContext.from_text_files([("doc.txt", source)], tmp_path / "ctx.bin")
    with Store.open(tmp_path / "runs.db") as store:
        run_id = _run(context, tmp_path, store)
        polls: list[int] = []

        def cancel() -> bool:
            polls.append(1)
            return len(polls) > 3

        with pytest.raises(blob_stream_module.StreamCancelled):
            store_file_context(store.path, run_id, context, cancel=cancel)
        with sqlite3.connect(store.path) as conn:
            assert conn.execute("select count(*) from blobs where hash = ?", (context.parts[0].sha256,)).fetchone() \
                == (0,)
            assert conn.execute("select count(*) from blob_refs where hash = ?", (context.parts[0].sha256,)
                                ).fetchone() == (0,)
        store_file_context(store.path, run_id, context)          # and storing it again works
        assert store.get_blob(context.parts[0].sha256) == source.read_text(encoding="utf-8")
