import json

import pytest

from rlm_studio.analysis.diff import diff_runs, text_diff
from rlm_studio.analysis.run_figures import compare_totals, run_figures
from tests.analysis.analysis_streams import StreamBuilder, simple_run


def test_a_run_diffed_with_itself_or_a_retimed_copy_has_no_differences():
    a = simple_run("run-a").events
    assert diff_runs(a, a)["differences"] == []
    b = simple_run("run-b", t0=5_000.0, step=2.0).events  # other ids, times, latencies
    for e in b:
        e.node_id = "x" + e.node_id
        e.parent_id = e.parent_id and "x" + e.parent_id
        if hasattr(e, "latency_ms"):
            e.latency_ms = 9_999.0
    result = diff_runs(a, b)
    assert result["differences"] == []
    assert result["totals"]["delta"]["wall_s"] == pytest.approx(2.0 * (len(b) - 1) - 0.5 * (len(a) - 1))


def test_a_changed_cell_output_and_answer_are_reported_with_unified_diffs():
    a = simple_run(stdout2="42\n", answer="42").events
    b = simple_run(stdout2="41\n", answer="41").events
    differences = diff_runs(a, b)["differences"]
    assert [(d["path"], d["field"]) for d in differences] == [("run", "answer"), ("iteration 2 / cell 1", "stdout")]
    stdout = differences[1]
    assert (stdout["a"], stdout["b"]) == ("42\n", "41\n")
    assert "-42\n+41\n" in stdout["diff"] and stdout["diff"].startswith("--- A\n+++ B\n")


def _run_with_extra_iteration(subcall_prompt="Summarise: part 1"):
    b = StreamBuilder("run-c")
    run = b.start_run()
    it1 = b.iteration(run, 1)
    b.model_call(it1, "...", tokens=(100, 20))
    b.cell(it1, "print(len(context))", stdout="22\n", subcalls=[(subcall_prompt, "s1"), ("Summarise: part 2", "s2")])
    b.end_iteration(it1, 1)
    it2 = b.iteration(run, 2)
    b.model_call(it2, "...", index=2, tokens=(200, 10))
    b.cell(it2, "oops(", iteration_index=2, error={"type": "SyntaxError", "message": "bad"})
    b.end_iteration(it2, 2)
    it3 = b.iteration(run, 3)
    b.model_call(it3, "...", index=3, tokens=(300, 10), cost=None)
    b.cell(it3, "FINAL('22')", iteration_index=3, final={"value": "22", "source": "code"})
    b.end_iteration(it3, 3, ended_run=True)
    b.finish(run, answer="22")
    return b.events


def test_missing_iterations_are_reported_once_and_sub_call_prompts_compared():
    short = simple_run().events
    longer = _run_with_extra_iteration()
    differences = diff_runs(short, longer)["differences"]
    presence = [d for d in differences if d["field"] == "presence"]
    assert [(d["path"], d["a"], d["b"]) for d in presence] == [
        ("iteration 1 / cell 1 / sub-call 2", "missing", "present"), ("iteration 3", "missing", "present")]
    fields = {(d["path"], d["field"]) for d in differences}
    assert ("iteration 1 / cell 1", "code") in fields and ("iteration 2 / cell 1", "error") in fields
    assert ("iteration 1 / cell 1 / sub-call 1", "prompt") in fields
    assert not any(d["path"].startswith("iteration 3 /") for d in differences)
    same = diff_runs(_run_with_extra_iteration(), _run_with_extra_iteration("Summarise: part one"))["differences"]
    assert [(d["path"], d["field"]) for d in same] == [("iteration 1 / cell 1 / sub-call 1", "prompt")]
    json.dumps(differences)  # JSON-ready


def test_totals_deltas():
    a, b = simple_run().events, _run_with_extra_iteration()
    totals = diff_runs(a, b)["totals"]
    assert totals["a"]["input_tokens"] == 450 and totals["b"]["input_tokens"] == 100 + 200 + 300 + 2 * 50
    assert totals["delta"]["input_tokens"] == 250
    assert totals["delta"]["iterations"] == 1 and totals["delta"]["subcalls"] == 1
    assert totals["delta"]["errors"] == 1
    assert totals["b"]["cost_usd"] is None and totals["delta"]["cost_usd"] is None  # an unpriced call
    assert totals["a"]["cost_usd"] == pytest.approx(0.0025)
    assert totals["a"]["wall_s"] == pytest.approx(0.5 * (len(a) - 1))


def test_root_responses_are_compared_only_on_request():
    a = simple_run().events
    b = simple_run().events
    b[4].response = "Let me look first.\n```repl\nprint(context[:100])\n```"
    assert diff_runs(a, b)["differences"] == []
    differences = diff_runs(a, b, root_responses=True)["differences"]
    assert [(d["path"], d["field"]) for d in differences] == [("iteration 1 / model call", "response")]


def test_compare_totals_n_way_and_errors():
    runs = [simple_run("r1").events, _run_with_extra_iteration(), simple_run("r3").events]
    table = compare_totals(runs)
    assert [r["run_id"] for r in table["runs"]] == ["r1", "run-c", "r3"]
    iterations = next(m for m in table["metrics"] if m["key"] == "iterations")
    assert iterations["values"] == [2, 3, 2] and iterations["deltas"] == [0, 1, 0]
    with pytest.raises(ValueError, match="at least two"):
        compare_totals(runs[:1])
    with pytest.raises(ValueError, match="no run"):
        run_figures([])


def test_text_diff_handles_none_and_missing_newlines():
    assert text_diff("a", "a") == ""
    diff = text_diff(None, "x")
    assert "+x\n" in diff and "No newline" in diff
