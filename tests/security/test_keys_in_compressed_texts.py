"""The API key never reaches a stored text, including the zlib-compressed blobs a raw byte scan of the
database cannot see into. The provider here echoes the key in its error (some do), the cell prints that
error many times (so it is stored compressed), and every stored text is decompressed and searched."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

from tests.models.fake_openai_server import FakeOpenAIServer, Reply, error_body

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = "sk-test" + "Q7" * 20          # built at run time so the source holds no key-shaped string
CANARY = "CAN" + "ARY-7f3e"                  # printed by the cell, so it must be found in a compressed blob


def stored_texts(db: Path) -> Iterator[tuple[str, bool, str]]:
    """(where, compressed, text) of every blob, decompressed, and of every text value of every table."""
    conn = sqlite3.connect(db)
    try:
        for digest, data, compressed in conn.execute("SELECT hash, data, compressed FROM blobs"):
            raw = zlib.decompress(data) if compressed else bytes(data)
            yield f"blob {digest[:12]}", bool(compressed), raw.decode("utf-8", "replace")
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'search_index_%' AND name != 'blobs'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, str):
                        yield table, False, value
                    elif isinstance(value, bytes):
                        yield table, False, value.decode("utf-8", "replace")
    finally:
        conn.close()


def test_no_stored_text_holds_the_key_even_compressed(tmp_path):
    root = tmp_path / "root.json"
    root.write_text(json.dumps({"responses": [
        "```repl\ntry:\n    llm_query('sub question')\n    err = 'no error'\nexcept Exception as exc:\n"
        "    err = str(exc)\nprint((err + '\\n') * 40)\nprint(''.join(['CAN', 'ARY-7f3e']) * 300)\n```",
        "FINAL(done)"]}))
    doc = tmp_path / "doc.txt"
    doc.write_text("some context " * 100)
    db = tmp_path / "runs.db"
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "RLM_STUDIO_HOME": str(tmp_path / "home")}
    with FakeOpenAIServer() as server:
        server.queue(Reply(status=401, body=error_body(f"Incorrect API key provided: {FAKE_KEY}. Check it.",
                                                       "invalid_request_error", "invalid_api_key")))
        out = subprocess.run([sys.executable, "-m", "rlm_studio", "run", "-c", str(doc), "-q", "What?",
                              "--root-model", f"script:{root}", "--sub-model", "openai/fake-model",
                              "--api-base", server.base_url, "--db", str(db), "--json"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr
        auth = [r["headers"].get("authorization", "") for r in server.chat_requests()]
        assert auth and all(FAKE_KEY in a for a in auth)          # the provider did get it
    run_id = json.loads(out.stdout)["run_id"]
    texts = list(stored_texts(db))
    # the scan really reads compressed texts: the cell's output is one, and it holds what the cell printed
    assert any(compressed and CANARY in text and "Incorrect API key" in text for _, compressed, text in texts)
    leaks = [where for where, _, text in texts if FAKE_KEY in text]
    assert leaks == [], f"the API key is stored in: {leaks}"
    assert FAKE_KEY not in out.stdout + out.stderr
    for fmt in ("rlm-studio", "official"):
        path = tmp_path / f"{fmt}.jsonl"
        done = subprocess.run([sys.executable, "-m", "rlm_studio", "export", run_id, "--format", fmt, "-o",
                               str(path), "--db", str(db)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert CANARY in path.read_text() and FAKE_KEY not in path.read_text()
