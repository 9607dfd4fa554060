"""Migration 7 on a file written by the schema-6 app: the search index is rebuilt without prompt rows, and the
upgraded file finds the same runs, nodes and snippets as the same runs stored by this version.

`schema_v6.db` was written by commit 4ad1b7f (schema 6): `sample_run()` as run 0190000000000schema6 (tagged
"fixture") and `wide_run(120)` as run 0190000000001widev6, ingested with `Store.ingest_events`.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from rlm_studio.storage import LATEST_VERSION, Store
from rlm_studio.storage.store import fts_query
from tests.support.files import FIXTURES
from tests.support.sample_runs import sample_run, wide_run

V6_DB = FIXTURES / "schema_v6.db"
SAMPLE, WIDE = "0190000000000schema6", "0190000000001widev6"
QUERIES = ["borealis", "which project", "llm_query_batched", "ZeroDivisionError", "division", "summary n7",
           "Part 0 mentions", "FINAL_VAR", "continue", "quarterly report", "chunk"]


def _old_hits(path: Path, text: str) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return {tuple(r) for r in conn.execute(
            "SELECT run_id, node_id, field FROM search_index WHERE search_index MATCH ?", (fts_query(text),))}
    finally:
        conn.close()


def _hits(store: Store, text: str) -> set[tuple[str, str, str, str]]:
    return {(h["run_id"], h["node_id"], h["field"], h["snippet"]) for h in store.search(text, limit=10_000)}


def test_the_fixture_really_is_a_schema_6_file_with_prompts_indexed() -> None:
    conn = sqlite3.connect(f"{V6_DB.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        fields = dict(conn.execute("SELECT field, count(*) FROM search_index GROUP BY field").fetchall())
    finally:
        conn.close()
    assert fields["prompt"] > 100 and {"question", "answer", "code", "output", "response"} <= fields.keys()


def test_a_schema_6_file_is_upgraded_and_finds_what_it_found_except_prompts(tmp_path: Path) -> None:
    copy = tmp_path / "v6.db"
    shutil.copy(V6_DB, copy)
    before = {q: _old_hits(copy, q) for q in QUERIES}
    with Store.open(copy) as store:
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION >= 7
        assert conn.execute("SELECT count(*) FROM search_index WHERE field = 'prompt'").fetchone()[0] == 0
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%before_m007%'").fetchall()
        for query in QUERIES:
            assert {h[:3] for h in _hits(store, query)} == {h for h in before[query] if h[2] != "prompt"}, query
        assert before["quarterly report"] and not store.search("quarterly report")   # it was only in prompts
        assert [r["id"] for r in store.list_runs(text="borealis")] == [SAMPLE]
        assert [r["id"] for r in store.list_runs(text="ZeroDivisionError")] == [SAMPLE]     # cell output
        assert [r["id"] for r in store.list_runs(text="llm_query_batched")] == [WIDE, SAMPLE]  # code
        assert store.get_run(SAMPLE)["tags"] == ["fixture"]
        store.delete_run(WIDE)                   # the rebuilt index still forgets a deleted run
        assert not store.search("summary n7")


def test_the_upgraded_file_searches_like_the_same_runs_stored_now(tmp_path: Path) -> None:
    copy = tmp_path / "v6.db"
    shutil.copy(V6_DB, copy)
    events = sample_run()
    for event in events:
        event.run_id = SAMPLE
    with Store.open(copy) as upgraded, Store.open(tmp_path / "now.db") as fresh:
        fresh.ingest_events(events)
        fresh.ingest_events(wide_run(120, run_id=WIDE))
        for query in QUERIES:
            assert _hits(upgraded, query) == _hits(fresh, query), query
        assert _hits(fresh, "borealis") and _hits(fresh, "summary n7")
