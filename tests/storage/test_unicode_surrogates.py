"""Lone surrogates (a cell's `print('\\ud800')`, a file name that is not UTF-8) are stored, shown and
exported as the visible escape `\\udXXX`; no command fails on them. Real CLI subprocesses, a real sandbox."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_studio.storage import Store
from rlm_studio.storage.text_safety import storable

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RLM_STUDIO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True,
                          timeout=300, env=env)


def script(tmp_path: Path, *responses: str) -> str:
    path = tmp_path / "root.json"
    path.write_text(json.dumps({"responses": list(responses)}), encoding="utf-8")
    return f"script:{path}"


def test_storable_escapes_only_lone_surrogates():
    assert storable("plain") == "plain"
    assert storable("déjà vu ✓ 𝄞") == "déjà vu ✓ 𝄞"
    assert storable("a\ud800b") == "a\\ud800b"
    assert storable("name\udcff.txt") == "name\\udcff.txt"
    assert storable("nul\x00kept") == "nul\x00kept"


def test_a_cell_that_prints_a_lone_surrogate_is_stored_and_exported(tmp_path):
    home = tmp_path / "home"
    doc = tmp_path / "doc.txt"
    doc.write_text("hello world\n")
    model = script(tmp_path, "```repl\nprint('odd \\ud800 text' * 30)\nnote = 'x\\udcff'\n```",
                   "FINAL(done \\ud800)")
    out = cli("run", "--context", str(doc), "--question", "q", "--root-model", model, "--json", home=home)
    assert out.returncode == 0, out.stderr.decode()
    assert b"Traceback" not in out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "completed"
    assert summary["answer"] == "done \\ud800"   # printed as the escape, never a crash
    with Store.open(home / "rlm_studio.db") as store:
        run = store.get_run(summary["run_id"])
        assert run["status"] == "completed" and run["answer"] == "done \\ud800"
        events = store.load_events(run["run_id"])
        kinds = [e.kind for e in events]
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished" and "cell_finished" in kinds
        [cell] = [e for e in events if e.kind == "cell_finished"]
        assert "odd \\ud800 text" in cell.stdout       # long output: kept as a blob
        assert [h["run_id"] for h in store.search("ud800")]
    for fmt in ("rlm-studio", "official"):
        target = tmp_path / f"{fmt}.jsonl"
        exported = cli("export", summary["run_id"], "--format", fmt, "-o", str(target), home=home)
        assert exported.returncode == 0, exported.stderr.decode()
        text = target.read_text(encoding="utf-8")    # valid UTF-8
        assert "odd \\\\ud800 text" in text           # the escape, JSON-quoted
        imported = cli("import", str(target), home=home)
        assert imported.returncode == 0, imported.stderr.decode()
    with sqlite3.connect(home / "rlm_studio.db") as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
        assert {r[0] for r in conn.execute("SELECT status FROM runs")} == {"completed"}


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
def test_a_folder_with_a_file_name_that_is_not_utf8_loads_and_is_stored(tmp_path):
    home = tmp_path / "home"
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as handle:   # Latin-1 bytes in a name
        handle.write(b"the secret number is 42\n")
    (folder / "plain.txt").write_text("nothing here\n")
    model = script(tmp_path, "```repl\nprint(context if isinstance(context, str) else list(context))\n```",
                   "FINAL(42)")
    out = cli("run", "--context", str(folder), "--question", "What is the number?", "--root-model", model,
              "--json", home=home)
    assert out.returncode == 0, out.stderr.decode()
    summary = json.loads(out.stdout)
    with Store.open(home / "rlm_studio.db") as store:
        events = store.load_events(summary["run_id"])
        names = [e.name for e in events if e.kind == "context_attached"]
        assert any("caf\\udce9.txt" in name for name in names), names
        assert store.get_run(summary["run_id"])["status"] == "completed"
        target = tmp_path / "run.jsonl"
        store.export_run(summary["run_id"], target)
    assert "caf\\\\udce9.txt" in target.read_text(encoding="utf-8")


def test_texts_stored_before_this_fix_with_lone_surrogates_still_read(tmp_path):
    """An older database kept blobs with surrogatepass bytes: they read back as escapes, and export."""
    from tests.support.sample_runs import sample_run

    events = sample_run()
    db = tmp_path / "runs.db"
    with Store.open(db) as store:
        store.ingest_events(events)
        run_id = events[0].run_id
        digest = store._conn.execute("SELECT hash FROM blob_refs WHERE run_id = ? LIMIT 1", (run_id,)).fetchone()[0]
        old = store.get_blob(digest)
        store._conn.execute("UPDATE blobs SET data = ?, compressed = 0 WHERE hash = ?",
                            (("\ud800" + old).encode("utf-8", "surrogatepass"), digest))
        assert store.get_blob(digest) == "\\ud800" + old
        target = tmp_path / "run.jsonl"
        store.export_run(run_id, target)
    target.read_text(encoding="utf-8")


def test_search_and_filters_with_a_lone_surrogate_in_the_query(tmp_path):
    home = tmp_path / "home"
    for argv in (["search", "x\udcff"], ["runs", "--text", "x\udcff"], ["runs", "--tag", "\udcff"],
                 ["show", "\udcff"]):
        out = cli(*argv, home=home)
        assert b"Traceback" not in out.stderr, (argv, out.stderr)
        assert out.returncode in (0, 2), (argv, out.stderr)


def test_a_nul_in_a_search_is_a_word_break_not_an_sqlite_error(tmp_path):
    """Found by the storage fuzz: FTS5 reads NUL as the end of a quoted string ("unterminated string")."""
    from rlm_studio.storage import StorageError
    from tests.support.sample_runs import sample_run

    with Store.open(tmp_path / "runs.db") as store:
        store.ingest_events(sample_run())
        assert store.search("aurora\x00borealis")                   # two words
        assert store.list_runs(text="aurora\x00") and store.list_runs(text="\x00") is not None
        with pytest.raises(StorageError, match="give some words"):
            store.search("\x00")


def test_an_export_whose_name_note_and_tags_hold_lone_surrogates_imports(tmp_path):
    from tests.support.sample_runs import sample_run

    with Store.open(tmp_path / "runs.db") as store:
        events = sample_run()
        store.ingest_events(events)
        run_id = events[0].run_id
        target = tmp_path / "run.jsonl"
        store.export_run(run_id, target)
    lines = target.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header["run"].update(name="odd \ud800 name", note="note \udcff", tags=["t\ud800"])
    lines[0] = json.dumps(header)            # JSON escapes: the file is valid, the texts are lone surrogates
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "other.db") as store:
        [imported] = store.import_file(target)
        run = store.get_run(imported["run_id"])
        assert (run["name"], run["note"], run["tags"]) == ("odd \\ud800 name", "note \\udcff", ["t\\ud800"])
