"""Property: any valid event stream folds to the same tree and totals live (event by event) and stored
(written to a real SQLite file through the store, in one or more batches, and read back)."""

from __future__ import annotations

import math
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlm_studio.engine import events as ev
from rlm_studio.engine.run_tree import RunTree, Totals, subtree_totals
from rlm_studio.storage import Store
from tests.support.streams import Stream
from tests.support.totals import brute_force_totals

usages = st.fixed_dictionaries({"input_tokens": st.integers(0, 5000), "output_tokens": st.integers(0, 500),
                                "cached_tokens": st.integers(0, 100)})
costs = st.one_of(st.none(), st.floats(0, 0.05, allow_nan=False))
errors = st.one_of(st.none(), st.none(), st.just({"kind": "server", "message": "boom"}))


def _call_fields(draw: st.DrawFn) -> dict[str, Any]:
    error = draw(errors)
    if error:
        return {"error": error, "usage": {}, "cost_usd": None}
    return {"usage": draw(usages), "cost_usd": draw(costs), "response": "r"}


def _run(draw: st.DrawFn, s: Stream, parent: str | None, depth: int) -> None:
    run = s.run(parent, depth, question=f"question at depth {depth}")
    for index in range(1, draw(st.integers(0, 2 if depth else 3)) + 1):
        it = s.iteration(run, index)
        call = s.model_call(it)
        s.close(ev.ModelCallFinished, call, it, **_call_fields(draw))
        for n in range(1, draw(st.integers(0, 2)) + 1):
            cell = s.cell(it, n)
            for what in draw(st.lists(st.sampled_from(["llm_query", "batch", "child"] if depth < 2
                                                      else ["llm_query", "batch"]), max_size=3)):
                if what == "child":
                    _run(draw, s, cell, depth + 1)
                elif what == "llm_query":
                    sub = s.subcall(cell)
                    s.close(ev.SubcallFinished, sub, cell, **_call_fields(draw))
                else:   # a batch: every item opens, then they finish in any order
                    size = draw(st.integers(1, 4))
                    items = [s.subcall(cell, via="llm_query_batched", batch_id=f"b{cell}", batch_index=i,
                                       batch_size=size) for i in range(size)]
                    for i in draw(st.permutations(range(size))):
                        s.close(ev.SubcallFinished, items[i], cell, **_call_fields(draw))
            outcome = draw(st.sampled_from(["ok", "ok", "error", "crashed", "timeout"]))
            s.close(ev.CellFinished, cell, it, error={"type": "ValueError", "message": "bad"} if outcome == "error"
                    else None, crashed="killed" if outcome == "crashed" else None, timed_out=outcome == "timeout")
        s.close(ev.IterationFinished, it, run, index=index)
    if draw(st.booleans()):
        s.final(run, answer="done")
    s.close(ev.RunFinished, run, parent, status=draw(st.sampled_from(["completed", "limit_hit", "failed"])))


def _same(a: Totals, b: Totals) -> bool:
    """Equal counts; equal cost up to float rounding (sums added in another order)."""
    return replace(a, known_cost_usd=0.0) == replace(b, known_cost_usd=0.0) and \
        math.isclose(a.known_cost_usd, b.known_cost_usd, rel_tol=1e-9, abs_tol=1e-12)


@st.composite
def streams(draw: st.DrawFn) -> list[ev.Event]:
    s = Stream()
    _run(draw, s, None, 0)
    cut = draw(st.integers(1, len(s.events)))   # a live run may be stopped anywhere
    return s.events[:cut]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=streams(), splits=st.lists(st.integers(1, 200), max_size=2))
def test_live_and_stored_folds_give_the_same_tree_and_totals(events: list[ev.Event], splits: list[int]) -> None:
    live = RunTree()
    for event in events:
        live.apply(event)
    run_id = events[0].run_id
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "runs.db") as store:
        start = 0
        for cut in [*sorted(splits), len(events)]:     # one or more batches (a new writer state each time)
            store.ingest_events(events[start:cut])
            start = max(start, min(cut, len(events)))
        from_events = RunTree.from_events(store.load_events(run_id))
        from_rows = store.load_tree(run_id)
        run = store.get_run(run_id)
    assert from_events.same_as(live)
    assert from_rows.structure() == live.structure()
    assert from_rows.nodes == live.nodes
    for node_id in live.nodes:
        want = live.totals(node_id)
        for got in (from_rows.totals(node_id), brute_force_totals(live, node_id),
                    subtree_totals(live.nodes.values(), node_id)):
            assert _same(got, want), (node_id, got, want)
    root = live.root_id
    assert root is not None
    if live.node(root).end_seq is not None:           # the runs row is counted when the run finishes
        counts = live.totals(root).counts()
        assert {k: run[k] for k in ("iterations", "tree_iterations", "root_calls", "subcalls", "child_runs",
                                    "model_calls", "input_tokens", "output_tokens", "cached_tokens")} == \
            {k: counts[k] for k in ("iterations", "tree_iterations", "root_calls", "subcalls", "child_runs",
                                    "model_calls", "input_tokens", "output_tokens", "cached_tokens")}
        assert run["cost_unknown"] == counts["cost_unknown"]
        assert math.isclose(run["cost_usd"], live.totals(root).known_cost_usd, rel_tol=1e-9, abs_tol=1e-12)
