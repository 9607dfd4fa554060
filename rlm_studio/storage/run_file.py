"""Our own run file: JSONL, a header line then one event per line (`Event.to_dict()`), texts inline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import IO, Any

from rlm_studio.engine.events import SCHEMA_VERSION, Event

FORMAT_NAME = "rlm-studio-run"
FORMAT_VERSION = 1
RUN_HEADER_KEYS = ("name", "note", "tags", "status", "ended_at", "duration_ms", "parent_run_id", "fork_node_id",
                   "question", "root_model", "sub_model", "answer")


def write_run_file(out: IO[str], run: dict[str, Any], events: list[Event]) -> None:
    from rlm_studio import __version__

    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "event_schema": SCHEMA_VERSION,
              "run_id": run["id"], "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "app_version": __version__, "events": len(events),
              "run": {k: run.get(k) for k in RUN_HEADER_KEYS}}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    for event in events:
        out.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
