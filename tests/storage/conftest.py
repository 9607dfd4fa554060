"""Fixtures shared by the storage tests: a fresh database file per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_studio.storage import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db_path: Path):
    opened = Store.open(db_path)
    yield opened
    opened.close()
