"""Opening a stored run builds its tree once (the detectors reuse the OpenRun's), and bulk tree builds
pause the cyclic garbage collector without changing its state afterwards."""

from __future__ import annotations

import gc

import pytest

from rlm_studio.analysis.failure_modes import detect_failure_modes
from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.engine.gc_paused import gc_paused
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.storage.store import Store
from rlm_studio.ui.stored_run import load_stored_run
from tests.analysis.analysis_streams import big_run
from tests.analysis.test_analysis_failure_modes import one_iteration_run


def test_gc_paused_restores_the_previous_state():
    was = gc.isenabled()
    try:
        gc.enable()
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()   # the inner block leaves the outer one paused
        assert gc.isenabled()
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("boom")
        assert gc.isenabled()
        gc.disable()                     # the app keeps automatic collection off: it stays off
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_detectors_on_the_open_runs_tree_find_what_they_find_alone():
    many = [{"code": f"llm_query('chunk {i}')", "subcalls": [(f"chunk {i}", "ok")]} for i in range(3)]
    for events in (big_run(3_000).events, one_iteration_run(cells=many, answer="I will call FINAL").events):
        run = OpenRun.from_events(events)
        alone = [f.to_dict() for f in detect_failure_modes(events)]
        reused = [f.to_dict() for f in detect_failure_modes(run.events, tree=run.tree)]
        assert reused == alone
    assert alone, "the second run has findings: the comparison is not of two empty lists"


def test_opening_a_stored_run_builds_its_tree_once(tmp_path, monkeypatch):
    events = big_run(2_000).events
    store = Store.open(tmp_path / "runs.db")
    try:
        store.ingest_events(events)
        builds = []
        original = RunTree.from_events.__func__

        def counting(cls, evs):
            builds.append(1)
            return original(cls, evs)

        monkeypatch.setattr(RunTree, "from_events", classmethod(counting))
        first = load_stored_run(store, "run-big")        # detects and saves the findings
        assert first.findings_saved and builds == []     # OpenRun's tree was reused by the detectors
        assert first.run.findings == [f.to_dict() for f in detect_failure_modes(events)]
        again = load_stored_run(store, "run-big")        # findings stored: not detected again
        assert not again.findings_saved and again.run.findings == first.run.findings
    finally:
        store.close()
