"""Fixtures shared by the storage tests: a fresh database file per test, and where the fixture files are."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.storage import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "storage"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db_path: Path):
    opened = Store.open(db_path)
    yield opened
    opened.close()


def counts(store: Store) -> dict[str, int]:
    """Row counts of every table: 'nothing changed' checks compare these."""
    return {t: store._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("runs", "nodes", "events", "blobs", "blob_refs", "tags", "search_index")}
