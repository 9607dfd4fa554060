"""Where the committed fixture files are, and row counts of a store (for 'nothing changed' checks)."""

from __future__ import annotations

from pathlib import Path

from rlm_studio.storage import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "storage"
RUN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs"


def counts(store: Store) -> dict[str, int]:
    """Row counts of every table: 'nothing changed' checks compare these."""
    return {t: store._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("runs", "nodes", "events", "blobs", "blob_refs", "tags", "search_index")}
