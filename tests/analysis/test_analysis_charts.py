import pytest

from rlm_studio.analysis.charts import call_timeline, iteration_series, run_charts
from tests.analysis.analysis_streams import StreamBuilder, simple_run


def test_iteration_series_values():
    rows = iteration_series(simple_run().events)
    assert [r["iteration"] for r in rows] == [1, 2]
    assert [(r["input_tokens"], r["output_tokens"]) for r in rows] == [(150, 25), (300, 40)]
    assert [r["subcalls"] for r in rows] == [1, 0]
    assert rows[0]["cost_usd"] == pytest.approx(0.0015) and rows[1]["cost_usd"] == pytest.approx(0.001)
    assert [r["cumulative_tokens"] for r in rows] == [175, 515]
    assert rows[1]["cumulative_known_cost_usd"] == pytest.approx(0.0025)
    assert rows[0]["duration_s"] == pytest.approx(0.5 * 7)  # 7 event steps from its start to its end


def test_unknown_price_shows_as_none_in_its_iteration_only():
    b = StreamBuilder()
    run = b.start_run()
    it1 = b.iteration(run, 1)
    b.model_call(it1, "x", cost=None)
    b.end_iteration(it1, 1)
    it2 = b.iteration(run, 2)
    b.model_call(it2, "y", index=2, cost=0.01)
    rows = iteration_series(b.events)
    assert rows[0]["cost_usd"] is None and rows[1]["cost_usd"] == pytest.approx(0.01)


def test_timeline_puts_parallel_calls_in_separate_lanes():
    b = StreamBuilder(step=1.0)
    run = b.start_run(context=None)
    it = b.iteration(run, 1)
    b.model_call(it, "```repl\n...\n```")
    b.cell(it, "llm_query_batched(ps)", subcalls=[("a", "1"), ("b", "2"), ("c", "3")], parallel=True)
    b.cell(it, "llm_query(p)", index=2, subcalls=[("d", "4")])
    timeline = call_timeline(b.events)
    bars = timeline["bars"]
    assert [x["kind"] for x in bars] == ["model_call", "subcall", "subcall", "subcall", "subcall"]
    assert timeline["max_parallel"] == 3 and timeline["lanes"] == 3
    assert sorted(x["lane"] for x in bars[1:4]) == [0, 1, 2]
    assert bars[4]["lane"] == 0  # the sequential call after the batch reuses the first lane
    assert bars[0]["start_s"] == pytest.approx(2.0) and bars[0]["end_s"] == pytest.approx(3.0)
    assert all(x["end_s"] >= x["start_s"] for x in bars)


def test_timeline_running_calls_end_at_the_last_event_and_empty_input():
    b = StreamBuilder(step=1.0)
    run = b.start_run(context=None)
    it = b.iteration(run, 1)
    from rlm_studio.engine.events import ModelCallStarted
    b.emit(ModelCallStarted(node_id="live", parent_id=it, model="m"))
    b.emit(ModelCallStarted(node_id="live2", parent_id=it, model="m"))
    bars = call_timeline(b.events)["bars"]
    assert [x["running"] for x in bars] == [True, True] and bars[0]["end_s"] == pytest.approx(3.0)
    assert call_timeline([]) == {"bars": [], "lanes": 0, "max_parallel": 0, "duration_s": 0.0}
    assert set(run_charts(simple_run().events)) == {"iterations", "timeline"}
