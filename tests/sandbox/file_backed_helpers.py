"""A real recorded run of a file-backed context (scripted root, real sandbox worker, real SQLite)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings
from rlm_studio.sandbox import FileContext
from rlm_studio.storage import Store
from tests.support.scripts import repl, script


def record_run(context: FileContext, tmp_path: Path, store: Store) -> str:
    """Run `context` to the end (its cell prints len(context)), recorded in `store`; the run's id."""
    root = script(tmp_path, "root", responses=[repl("print(len(context))"), "FINAL(ok)"])
    writer = store.writer()
    session = RlmSession("How long?", context, RunSettings(root_model=root, max_iterations=3), sinks=[writer.append])
    result = asyncio.run(session.run())
    writer.close()
    assert result.status == "completed", result
    return session.run_id
