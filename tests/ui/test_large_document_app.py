"""A huge text in the app: loaded into a file-backed context (never one str), with progress and Cancel,
and run from that file by the real sandbox worker. The threshold is lowered through its environment
variable, so the files stay small."""

import hashlib
import threading

import pytest

from rlm_studio.documents import FileBackedDocument
from rlm_studio.sandbox import FileContext, read_context
from rlm_studio.sandbox import file_context as file_context_module
from tests.ui.ui_helpers import repl, run_coro, write_script

LINE = "Record {i:06d}: dock {d}, inspector Chloé signed at 12:{m:02d} — ok ✓\n"


def _big_text(lines: int) -> str:
    return "".join(LINE.format(i=i, d=i % 17, m=i % 60) for i in range(lines))


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setenv("RLM_STUDIO_LARGE_DOCUMENT_BYTES", "100000")
    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 32 * 1024)   # many chunks: many progress reports


def test_a_text_over_the_threshold_loads_as_a_file_backed_context_and_runs(window, qtbot, qloop, tmp_path,
                                                                           app_home, small_threshold, monkeypatch):
    from rlm_studio.ui.document_loader import DocumentLoadJob

    text = _big_text(6000)                       # ~420 KB, multibyte characters split across chunks
    path = tmp_path / "logbook.txt"
    path.write_text(text, encoding="utf-8")
    panel = window.new_run
    progress = []
    report = DocumentLoadJob._report

    def record(job, done, total):                # what the load thread reports, before the job's throttling
        progress.append((done, total))
        report(job, done, total)

    monkeypatch.setattr(DocumentLoadJob, "_report", record)
    panel.load_paths([path])
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)

    assert len(panel.documents) == 1
    document = panel.documents[0]
    assert isinstance(document, FileBackedDocument) and document.text == ""
    assert document.chars == len(text) and document.size_bytes == path.stat().st_size
    context = document.context
    assert isinstance(context, FileContext)
    assert context.path.parent == app_home / "contexts" and context.path.exists()
    assert read_context(context.path) == text     # the context file holds exactly the document
    assert document.prefix == text[:len(document.prefix)] and len(document.prefix) == 4096
    # progress went up in steps to the whole file
    assert len(progress) > 5 and progress[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    # the list shows it like any document, marked as kept in a file
    assert panel.doc_table.item(0, 0).text() == "logbook.txt"
    assert panel.doc_table.item(0, 2).text() == f"{len(text):,}"
    assert "in a file" in panel.doc_table.item(0, 1).text()
    assert f"{len(text):,} characters" in panel.total_label.text()

    root = write_script(tmp_path, "root", responses=[
        repl("import hashlib\nprint(len(context), hashlib.sha256(context.encode()).hexdigest())"),
        repl("answer = context.splitlines()[4321]\nFINAL_VAR('answer')", "Done."),
    ])
    panel.question.setPlainText("Which is record 4321?")
    panel.root_model.set_spec(root)
    question, ctx, _ = panel.collect()
    assert ctx is context                        # the run starts from the file, as `rlm-studio run` does
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result is not None and result.status == "completed", result
    assert result.answer == text.splitlines()[4321]
    cells = [e for e in window.run_model.events if e.kind == "cell_finished"]
    assert cells[0].stdout.split() == [str(len(text)), hashlib.sha256(text.encode()).hexdigest()]


def test_cancel_while_streaming_adds_nothing_and_leaves_no_file(window, qtbot, app_home, tmp_path, small_threshold,
                                                               monkeypatch):
    from rlm_studio.ui.document_loader import DocumentLoadJob

    path = tmp_path / "big.txt"
    path.write_text(_big_text(8000), encoding="utf-8")
    panel = window.new_run
    clicked = threading.Event()
    seen = []
    report = DocumentLoadJob._report

    def hold_the_loader(job, done, total):   # on the load thread: after the first chunk, wait for the click
        report(job, done, total)
        seen.append((done, total))
        if len(seen) == 1:
            clicked.wait(20)

    monkeypatch.setattr(DocumentLoadJob, "_report", hold_the_loader)
    panel.load_paths([path])
    qtbot.waitUntil(lambda: len(seen) >= 1, timeout=20000)
    assert seen[0][0] < seen[0][1]               # the file is still being written
    assert panel.cancel_load_button.isVisible()
    panel.cancel_load_button.click()             # as a user would
    clicked.set()
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)
    assert "cancelled" in panel.load_message.text()
    assert panel.documents == []
    assert list((app_home / "contexts").iterdir()) == []   # the partial context file was removed


def test_below_the_threshold_text_and_a_binary_file_keep_the_ordinary_way(window, qtbot, tmp_path, small_threshold):
    small = tmp_path / "small.txt"
    small.write_text("just a few words\n", encoding="utf-8")
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(("Caf\xe9 cr\xe8me, na\xefve r\xe9sum\xe9.\n" * 6000).encode("cp1252"))
    binary = tmp_path / "dump.txt"
    binary.write_bytes(bytes(range(1, 32)) * 8000)          # control characters: not text, however large
    panel = window.new_run
    panel.load_paths([small, legacy, binary])
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)
    assert [type(d).__name__ for d in panel.documents] == ["Document", "FileBackedDocument"]
    assert panel.documents[1].encoding == "cp1252" and "guessed" in panel.documents[1].encoding_note
    assert read_context(panel.documents[1].context.path).startswith("Café crème")
    assert "dump.txt looks like a binary file" in panel.load_message.text()   # the loader's own message


def test_a_file_backed_document_with_others_runs_as_one_dict_context(window, qtbot, qloop, tmp_path,
                                                                     small_threshold):
    text = _big_text(3000)
    big = tmp_path / "big.txt"
    big.write_text(text, encoding="utf-8")
    panel = window.new_run
    panel.load_paths([big])
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)
    panel.add_pasted("the gate code is 8812")
    root = write_script(tmp_path, "root", responses=[repl(
        "import hashlib\nanswer = ' | '.join(f'{k}={len(v)}' for k, v in context.items())\n"
        "answer += ' | ' + context['pasted text 1'] + ' | ' + context['big.txt'].splitlines()[2999]\n"
        "answer += ' | ' + hashlib.sha256(context['big.txt'].encode()).hexdigest()\nFINAL_VAR('answer')")])
    panel.question.setPlainText("What is in them?")
    panel.root_model.set_spec(root)
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result is not None and result.status == "completed", result
    assert result.answer == (f"big.txt={len(text)} | pasted text 1=21 | the gate code is 8812 | "
                             f"{text.splitlines()[2999]} | {hashlib.sha256(text.encode()).hexdigest()}")
    attached = [e for e in window.run_model.events if e.kind == "context_attached"]
    assert [(a.name, a.text, a.chars) for a in attached] == [("big.txt", "", len(text)),
                                                             ("pasted text 1", "", 21)]   # one file-backed context
    files = sorted(p.name for p in panel.documents[0].context.path.parent.iterdir())
    again = run_coro(qloop, window.run_once(), timeout=60)     # the same documents again: the same combined file
    assert again is not None and again.answer == result.answer
    assert sorted(p.name for p in panel.documents[0].context.path.parent.iterdir()) == files


def test_fork_follow_up_and_reexecution_of_a_file_backed_run_in_the_app(window, qtbot, qloop, tmp_path,
                                                                        small_threshold):
    import sqlite3

    from tests.support.scripts import script
    from tests.ui.ui_helpers import wait_on_loop

    text = _big_text(6000)
    digest = hashlib.sha256(text.encode()).hexdigest()
    path = tmp_path / "logbook.txt"
    path.write_text(text, encoding="utf-8")
    panel = window.new_run
    panel.load_paths([path])
    qtbot.waitUntil(lambda: not panel.loading, timeout=20000)
    assert isinstance(panel.documents[0], FileBackedDocument)
    root = script(tmp_path, "root", rules=[
        {"match": "Question: Which is record 17", "content": repl("FINAL(context.splitlines()[17] + ' / ' + str(n))")},
        {"match": "RECORD-LEN", "content": repl("answer = context.splitlines()[4321] + ' / ' + str(n)\n"
                                                "FINAL_VAR('answer')")},
    ], default=repl("n = len(context)\nprint('RECORD-LEN', n)"))
    panel.question.setPlainText("Which is record 4321?")
    panel.root_model.set_spec(root)
    first = run_coro(qloop, window.run_once(), timeout=60)
    expected = f"{text.splitlines()[4321]} / {len(text)}"
    assert first is not None and first.answer == expected
    with sqlite3.connect(window.store.path) as conn:      # kept in the database after the run
        assert conn.execute("select size from blobs where hash = ?", (digest,)).fetchone() == (len(text.encode()),)

    file_context_module._KNOWN.clear()      # as after a restart: the document must come from the database
    tree = window.run_view.model.tree
    second = [c for c in tree.children(tree.root_id) if tree.node(c).kind == "iteration"][1]
    dialog = window.fork_dialog(second)
    assert dialog is not None
    fork = run_coro(qloop, window.run_fork(dialog), timeout=60)
    assert fork is not None and fork.run_id != first.run_id and fork.answer == expected, fork
    restored = [p for p in (window.store.path.parent / "contexts").iterdir() if p.name.endswith(".bin")]
    assert len(restored) == 2          # the loaded document's file and the one streamed out of the database

    box = window.run_view.follow_up          # a follow-up of the fork (itself file-backed): from the same text
    box.question.setText("Which is record 17?")
    box.ask_button.click()
    wait_on_loop(qloop, lambda: window._last_result is not None and window._last_result.run_id != fork.run_id
                 and not window.controller.running, timeout=60)
    turn = window._last_result
    assert turn.status == "completed" and turn.answer == f"{text.splitlines()[17]} / {len(text)}"

    assert window.replay_run(first.run_id)
    differences = run_coro(qloop, window.replay_view.reexecute(), timeout=60)
    assert differences == []
    with sqlite3.connect(window.store.path) as conn:
        refs = conn.execute("select count(*) from blob_refs where hash = ?", (digest,)).fetchone()[0]
    assert refs == 3                   # the run, its fork and the follow-up all refer to the document


def test_a_folder_load_streams_its_huge_texts_and_reads_the_rest(app_home, tmp_path, small_threshold):
    from rlm_studio.documents import DocumentError, as_context, load_folder, run_context
    from rlm_studio.ui.file_backed_loader import stream_large_file

    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "huge.log").write_text(_big_text(3000), encoding="utf-8")
    (folder / "notes.md").write_text("# notes\nsmall\n", encoding="utf-8")
    (folder / "page.html").write_text("<p>" + "word " * 30000 + "</p>", encoding="utf-8")   # large, but HTML
    loaded = load_folder(folder, large=stream_large_file)
    kinds = {d.name: type(d).__name__ for d in loaded.documents}
    assert kinds == {"sub/huge.log": "FileBackedDocument", "notes.md": "Document", "page.html": "Document"}
    huge = next(d for d in loaded.documents if d.name == "sub/huge.log")
    assert read_context(huge.context.path) == _big_text(3000)
    with pytest.raises(DocumentError, match="runs on its own"):
        run_context(loaded.documents)
    with pytest.raises(DocumentError, match="no text in memory"):
        as_context(loaded.documents)          # never a silent empty text
    assert run_context([huge]) is huge.context


@pytest.mark.parametrize("encoding, newline", [("utf-8", "\r\n"), ("utf-8-sig", "\n"), ("cp1252", "\r\n"),
                                               ("utf-16", "\n"), ("utf-8", "\r")])
def test_a_streamed_text_is_the_text_the_ordinary_loader_reads(app_home, tmp_path, small_threshold, monkeypatch,
                                                              encoding, newline):
    from rlm_studio.documents import load_document, load_paths
    from rlm_studio.ui.file_backed_loader import stream_large_file

    monkeypatch.setattr(file_context_module, "CHUNK_BYTES", 4099)   # odd: \r\n and characters cut across reads
    western = "Café crème, naïve résumé — “quoted” {i}" if encoding == "cp1252" else LINE.rstrip("\n")
    text = newline.join(western.format(i=i, d=i % 17, m=i % 60) for i in range(4000)) + newline
    path = tmp_path / f"doc-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    expected = load_document(path)                       # the ordinary loader: one str
    streamed = load_paths([path], large=stream_large_file).documents[0]
    assert type(streamed).__name__ == "FileBackedDocument"
    assert read_context(streamed.context.path) == expected.text
    assert (streamed.chars, streamed.encoding, streamed.encoding_note) == \
        (expected.chars, expected.encoding, expected.encoding_note)
    assert streamed.context.parts[0].sha256 == hashlib.sha256(expected.text.encode()).hexdigest()
