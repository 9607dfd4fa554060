"""The analyses over event streams the real engine produced (scripted models, real sandboxed REPL)."""

from __future__ import annotations

from rlm_studio.analysis.charts import call_timeline, iteration_series
from rlm_studio.analysis.diff import diff_runs
from rlm_studio.analysis.failure_modes import detect_failure_modes
from rlm_studio.analysis.replay import Replay
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.fork import plan_fork
from rlm_studio.engine.settings import RunSettings
from tests.engine.scripts import repl, run_session, script

CONTEXT = "\n".join(f"Region {i}: " + " ".join(["sale"] * (i + 1)) for i in range(6))


def batched_run(tmp_path, name="a", extra_iteration=False):
    sub = script(tmp_path, f"sub-{name}", rules=[
        {"match": f"Region {i}:", "content": str(i + 1)} for i in range(6)], default="0")
    responses = [repl("parts = context.split('\\n')\n"
                      "counts = llm_query_batched([f'How many sales? {p}' for p in parts])\n"
                      "total = sum(int(c) for c in counts)\nprint(total)")]
    if extra_iteration:
        responses.append("I think I have it now.")  # no code and no FINAL: a wasted turn
    responses.append(repl("FINAL_VAR('total')"))
    root = script(tmp_path, f"root-{name}", responses=responses)
    return run_session("How many sales in total?", CONTEXT, RunSettings(root_model=root, sub_model=sub))


def test_replay_tree_and_series_over_a_real_run(tmp_path):
    result, events = batched_run(tmp_path)
    assert result.answer == "21"
    stored = [e for e in events if not e.ephemeral]
    tree = RunTree.from_events(events)
    replay = Replay(stored, checkpoint_every=5)
    replay.seek(len(replay))
    assert replay.tree.same_as(tree)
    replay.seek(3)
    replay.seek(len(replay))
    assert replay.tree.same_as(tree)
    totals = tree.totals()
    assert (totals.subcalls, totals.iterations, totals.root_calls, totals.model_calls) == (6, 2, 2, 8)
    assert totals.input_tokens == result.totals["input_tokens"]
    assert totals.output_tokens == result.totals["output_tokens"]
    assert [row["subcalls"] for row in iteration_series(events)] == [6, 0]
    timeline = call_timeline(events)
    assert len(timeline["bars"]) == 8 and timeline["max_parallel"] >= 1


def test_a_clean_real_run_has_no_findings_and_a_wasted_turn_is_no_code(tmp_path):
    _, clean = batched_run(tmp_path)
    assert detect_failure_modes(clean) == []
    _, wasted = batched_run(tmp_path, "b", extra_iteration=True)
    findings = detect_failure_modes(wasted)
    assert [f.kind for f in findings] == ["no_code"]
    tree = RunTree.from_events(wasted)
    assert tree.node(findings[0].nodes[0]).iteration == 2


def test_real_final_var_of_an_undefined_name_is_reported(tmp_path):
    root = script(tmp_path, "root", responses=[repl("x = 1"), "FINAL_VAR(answr)", repl("FINAL_VAR('x')")])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert result.answer == "1"
    assert [f.kind for f in detect_failure_modes(events)] == ["final_confusion"]


def test_diff_of_two_real_runs(tmp_path):
    _, a = batched_run(tmp_path, "a")
    _, b = batched_run(tmp_path, "b")
    assert diff_runs(a, b)["differences"] == []  # other run ids, node ids, times: no differences
    _, c = batched_run(tmp_path, "c", extra_iteration=True)
    differences = diff_runs(a, c)["differences"]
    assert ("iteration 3", "presence") in {(d["path"], d["field"]) for d in differences}
    assert ("iteration 2 / cell 1", "presence") in {(d["path"], d["field"]) for d in differences}


def test_fork_plan_reads_the_engine_messages_exactly(tmp_path):
    _, events = batched_run(tmp_path, extra_iteration=True)
    plan = plan_fork(events, 3)
    calls = [e for e in events if e.kind == "model_call_started"]
    # each kept turn's feedback is exactly what the root model was sent next
    assert [t.feedback for t in plan.turns] == [calls[1].messages[-1]["content"], calls[2].messages[-1]["content"]]
    assert plan.turns[0].feedback.startswith("Output of repl block 1")
    assert len(plan.cells) == 1
    assert sorted(r for q in plan.replies.values() for r in q) == ["1", "2", "3", "4", "5", "6"]
