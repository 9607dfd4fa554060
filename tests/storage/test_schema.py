"""The schema: exact columns, migrating an empty file, opening saved older files, refusing newer ones."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from rlm_studio.storage import LATEST_VERSION, StorageError, Store
from rlm_studio.storage.schema import MIGRATIONS, migration_number
from tests.support.files import FIXTURES

EXPECTED_COLUMNS = {
    "runs": ["id", "question", "status", "created_at", "ended_at", "root_model", "sub_model", "settings",
             "isolation", "warnings", "iterations", "subcalls", "input_tokens", "output_tokens", "cost_usd",
             "cost_unknown", "max_depth_reached", "duration_ms", "answer", "parent_run_id", "fork_node_id", "name",
             "note", "system_prompt", "root_node_id", "app_version", "writer_pid", "writer_host", "heartbeat_at",
             "findings_at", "totals", "damage"],
    "node_rows": ["run_id", "id", "parent_id", "kind", "depth", "order", "label", "summary", "model", "status", "error",
              "iteration", "started_ts", "ended_ts", "duration_ms", "input_tokens", "output_tokens",
              "cached_tokens", "reasoning_tokens", "tokens_estimated", "cost_usd", "start_seq", "end_seq", "extra"],
    "blobs": ["hash", "size", "compressed", "data"],
    "blob_refs": ["run_id", "hash"],
    "events": ["run_id", "seq", "kind", "v", "ts", "node_id", "parent_id", "payload"],
    "event_chunks": ["run_id", "first_seq", "last_seq", "seqs", "ts", "envelope", "payloads"],
    "node_chunks": ["run_id", "first_seq", "last_seq", "count", "columns", "rows"],
    "tags": ["run_id", "tag"],
    "search_index": ["text", "run_id", "node_id", "field"],
    "migrations": ["version", "name", "applied_at"],
    "findings": ["run_id", "kind", "reason", "nodes"],
    "conversation_turns": ["run_id", "conversation_id", "turn", "previous_run_id"],
    "benches": ["id", "suite", "name", "settings", "created_at", "finished_at", "status"],
    "bench_tasks": ["bench_id", "task_id", "method", "config", "family", "size_tokens", "position", "run_id", "status",
                    "score", "answer", "expected", "cost_usd", "cost_unknown", "input_tokens", "output_tokens",
                    "duration_ms", "model_ms", "run_status", "error"],
}


def test_the_nodes_view_has_the_columns_the_nodes_table_had(store):
    views = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert views == {"nodes"}
    columns = [d[0] for d in store._conn.execute("SELECT * FROM nodes LIMIT 0").description]
    assert columns == EXPECTED_COLUMNS["node_rows"]


def test_columns_of_each_table_are_the_expected_ones(store):
    tables = {r[0] for r in store._conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_index_%'")}
    assert tables == set(EXPECTED_COLUMNS)
    for table, expected in EXPECTED_COLUMNS.items():
        assert [c.name for c in store.db[table].columns] == expected, table


def test_an_empty_file_is_migrated_to_the_latest_version(db_path):
    sqlite3.connect(db_path).close()          # an empty database file
    with Store.open(db_path) as store:
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION == \
            max(migration_number(m) for m in MIGRATIONS)
        assert [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY version")] == \
            [m.__name__ for m in sorted(MIGRATIONS, key=migration_number)]
        assert {"m001_initial", "m002_findings", "m005_damaged_runs"} <= {m.__name__ for m in MIGRATIONS}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    with Store.open(db_path) as again:      # opening twice does not migrate twice
        assert again._conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)


def test_the_saved_version_1_database_opens_and_reads(tmp_path):
    copy = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "schema_v1.db", copy)
    with Store.open(copy) as store:
        runs = store.list_runs()
        assert [r["id"] for r in runs] == ["0190000000000fixture"]
        run = store.get_run("0190000000000f")
        assert run["answer"] == "aurora borealis" and run["tags"] == ["fixture"]
        # the v1 file counted the child run as a sub-call; migration 4 recounts with the one totals
        assert run["iterations"] == 2 and run["subcalls"] == 2 and run["child_runs"] == 1
        events = store.load_events(run["id"])
        assert events[0].kind == "run_started" and events[-1].kind == "run_finished"
        assert len(store.load_nodes(run["id"])) == 16
        assert store.search("borealis")
        # migrated to the latest version on open: findings can be kept for it now
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert run["finding_kinds"] == [] and run["findings_computed"] is False
        store.save_findings(run["id"], [{"kind": "no_code", "reason": "r", "nodes": ["n2"]}])
        assert store.get_run(run["id"])["finding_kinds"] == ["no_code"]


def test_a_database_from_a_newer_version_is_refused_and_left_unchanged(db_path):
    with Store.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StorageError, match="newer version of RLM Studio.*999.*not changed"):
        Store.open(db_path)
    assert db_path.read_bytes() == before
    assert not (db_path.parent / (db_path.name + "-wal")).exists()


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("just some text, long enough to not be an empty file " * 20)
    with pytest.raises(StorageError, match="not an RLM Studio database"):
        Store.open(junk)


def test_default_location_follows_rlm_studio_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RLM_STUDIO_HOME", str(tmp_path / "home"))
    with Store.open() as store:
        assert store.path == tmp_path / "home" / "rlm_studio.db"
    assert (tmp_path / "home" / "rlm_studio.db").exists()
