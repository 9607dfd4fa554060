"""Older files are upgraded on read, not refused: a golden run file of each older event schema imports
and gives the same tree and totals as the current version of the same run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlm_studio.engine.events import SCHEMA_VERSION, EventFormatError, event_from_dict
from rlm_studio.engine.run_tree import RunTree

RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "runs"
V1_RUN = RUNS / "v1_depth2_batch_error.jsonl"

# What the v1 golden run holds, counted the way every surface counts now (README glossary): a depth-2 run
# with one plain sub-call, a batch of two failed items, a child with one sub-call and a grandchild.
V1_COUNTS = {"iterations": 2, "tree_iterations": 4, "root_calls": 4, "subcalls": 4, "child_runs": 2,
             "model_calls": 8, "input_tokens": 2000, "output_tokens": 91, "max_depth": 2}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_golden_file_is_really_version_1() -> None:
    header, *events = _lines(V1_RUN)
    assert header["event_schema"] == 1 and {e["v"] for e in events} == {1}
    [finished] = [e for e in events if e["kind"] == "run_finished" and e["parent_id"] is None]
    assert finished["totals"]["subcalls"] == 2     # the v1 engine's count, which meant something else


def test_v1_events_upgrade_to_the_current_schema() -> None:
    _, *raw = _lines(V1_RUN)
    events = [event_from_dict(e) for e in raw]
    assert {e.v for e in events} == {SCHEMA_VERSION}
    finished = [e for e in events if e.kind == "run_finished"]
    assert all(set(e.totals) <= {"duration_ms", "isolation"} for e in finished)
    assert finished[-1].totals["duration_ms"] > 0
    counts = RunTree.from_events(events).totals().counts()
    assert {k: counts[k] for k in V1_COUNTS} == V1_COUNTS


def test_a_v1_run_file_imports_and_reexports_as_the_same_run(store, tmp_path: Path) -> None:
    [result] = store.import_file(V1_RUN)
    run = store.get_run(result["run_id"])
    assert {k: run[k if k != "max_depth" else "max_depth_reached"] for k in V1_COUNTS} == V1_COUNTS
    assert run["answer"] == "c-g-answer" and run["duration_ms"] > 0
    out = store.export_run(result["run_id"], tmp_path / "again.jsonl")
    header, *again = _lines(Path(out))
    assert header["event_schema"] == SCHEMA_VERSION and {e["v"] for e in again} == {SCHEMA_VERSION}
    old = RunTree.from_events(event_from_dict(e) for e in _lines(V1_RUN)[1:])
    new = RunTree.from_events(event_from_dict(e) for e in again)
    assert [old.node(n).kind for n in old.walk()] == [new.node(n).kind for n in new.walk()]
    assert old.totals() == new.totals() == store.load_tree(result["run_id"]).totals()


@pytest.mark.parametrize("version", [0, -1, True, "1", SCHEMA_VERSION + 1])
def test_a_version_that_is_not_one_we_know_is_refused_with_a_reason(version: object) -> None:
    with pytest.raises(EventFormatError, match="version"):
        event_from_dict({"v": version, "kind": "notice", "run_id": "r", "seq": 1, "node_id": "n1"})
