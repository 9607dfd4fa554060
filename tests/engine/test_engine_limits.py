"""Every limit stops the run cleanly with a status naming it; the host can cancel at any moment."""

from __future__ import annotations

import pytest

from rlm_studio.engine.run_tree import fold_nodes
from rlm_studio.engine.settings import RunSettings

from .scripts import kinds, repl, run_session, script


def _closed(events) -> bool:
    return all(n.status != "running" for n in fold_nodes([e for e in events if not e.ephemeral]).values())


def test_iteration_limit_gives_no_answer_and_labels_the_best_candidate(tmp_path):
    root = script(tmp_path, "root", rules=[], default=repl("answer = 'partial 7'\nprint('working')"))
    result, events = run_session("q", "ctx", RunSettings(root_model=root, max_iterations=3))
    assert (result.status, result.limit) == ("limit_hit", "max_iterations")
    assert result.answer is None
    assert result.best_candidate is not None and "partial 7" in result.best_candidate["text"]
    assert result.best_candidate["source"] == "variable answer"
    assert len(kinds(events, "iteration_started")) == 3
    [finished] = kinds(events, "run_finished")
    assert finished.limit == "max_iterations" and finished.answer is None and _closed(events)
    assert finished.best_candidate == result.best_candidate
    summary = result.summary()
    assert summary["answer"] is None and summary["best_candidate"] == result.best_candidate
    from rlm_studio.analysis.failure_modes import detect_failure_modes

    [finding] = detect_failure_modes(events, kinds=["iteration_limit"])
    assert "without giving a final answer (it had computed answer = 'partial 7')" in finding.reason


def test_a_raw_code_response_is_never_reported_as_the_answer(tmp_path):
    root = script(tmp_path, "root", rules=[], default=repl("x = len(context)\nprint(x)", "Let me count."))
    result, events = run_session("q", "ctx", RunSettings(root_model=root, max_iterations=2))
    assert result.status == "limit_hit" and result.answer is None
    assert result.best_candidate is not None and result.best_candidate["source"] == "last response"
    assert "```repl" in result.best_candidate["text"]     # labelled as what it is, not passed off as an answer
    assert kinds(events, "run_finished")[0].answer is None


def test_a_completed_run_has_an_answer_and_no_candidate(tmp_path):
    root = script(tmp_path, "root", responses=[repl("answer = 'x'"), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert (result.status, result.answer, result.best_candidate) == ("completed", "done", None)
    assert kinds(events, "run_finished")[0].best_candidate is None


def test_subcall_limit_counts_the_whole_tree_and_interrupts(tmp_path):
    sub = script(tmp_path, "sub", rules=[], default="ok")
    root = script(tmp_path, "root", rules=[
        {"match": "Question: top", "content": repl("a = rlm_query('child', context='abc')\nwhile True:\n    llm_query('more')")},
        {"match": "Question: child", "content": repl("for i in range(3):\n    llm_query('x')\nFINAL('child done')")},
    ])
    result, events = run_session("top", "ctx", RunSettings(root_model=root, sub_model=sub, max_depth=1,
                                                          max_subcalls=5, cell_timeout_s=30))
    assert (result.status, result.limit) == ("limit_hit", "max_subcalls")
    done = [s for s in kinds(events, "subcall_finished") if not s.error]
    assert len(done) == 5  # 3 in the child, 2 in the root: the limit holds across the tree
    # every llm_query is a sub-call, the one refused at the limit too (it is a node with a "budget" error)
    assert result.totals["subcalls"] == len(kinds(events, "subcall_started")) == 6 and _closed(events)


def test_cost_limit(tmp_path):
    sub = script(tmp_path, "sub", rules=[], default="ok", cost_usd=0.01)
    root = script(tmp_path, "root", rules=[], default=repl("for i in range(100):\n    llm_query(str(i))"), cost_usd=0.02)
    result, events = run_session("q", "ctx", RunSettings(root_model=root, sub_model=sub, max_cost_usd=0.1))
    assert (result.status, result.limit) == ("limit_hit", "max_cost_usd")
    assert 0.1 <= result.totals["cost_usd"] < 0.13


def test_token_limit(tmp_path):
    root = script(tmp_path, "root", rules=[], default=repl("print(1)"))
    result, _ = run_session("q", "ctx", RunSettings(root_model=root, max_tokens=2000, max_iterations=50))
    assert (result.status, result.limit) == ("limit_hit", "max_tokens")
    assert result.totals["input_tokens"] + result.totals["output_tokens"] >= 2000


def test_wall_time_limit_interrupts_a_running_cell(tmp_path):
    root = script(tmp_path, "root", rules=[], default=repl("import time\ntime.sleep(600)"))
    result, events = run_session("q", "ctx", RunSettings(root_model=root, max_wall_s=1.5, cell_timeout_s=600))
    assert (result.status, result.limit) == ("limit_hit", "max_wall_s") and _closed(events)
    [cell] = kinds(events, "cell_finished")
    assert cell.interrupted and not cell.timed_out       # stopped by the run's limit, not the cell's
    assert cell.duration_ms < 600_000                     # it did not sleep its ten minutes


def test_cell_time_limit_interrupts_an_infinite_loop_and_the_run_goes_on(tmp_path):
    root = script(tmp_path, "root", responses=[repl("n = 5\nwhile True:\n    pass"), repl("FINAL(n * 2)")])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, cell_timeout_s=1.0))
    assert result.answer == "10"
    assert kinds(events, "cell_finished")[0].timed_out
    assert "time limit" in kinds(events, "model_call_started")[1].messages[-1]["content"]


def test_cancel_stops_at_once_and_keeps_what_ran(tmp_path):
    root = script(tmp_path, "root", responses=[repl("x = 1\nprint('first')"), repl("import time\ntime.sleep(600)")])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, cell_timeout_s=600),
                                 cancel_on=lambda e: e.kind == "cell_started" and "sleep" in e.code)
    assert result.status == "cancelled"
    cells = kinds(events, "cell_finished")
    assert cells[0].stdout.strip() == "first" and cells[1].interrupted
    assert cells[1].duration_ms < 600_000                 # interrupted, not slept through
    assert kinds(events, "run_finished")[0].status == "cancelled" and _closed(events)


def test_root_model_failure_fails_the_run_with_its_message(tmp_path):
    root = script(tmp_path, "root", rules=[{"match": ".", "content": "", "error": "auth"}])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert result.status == "failed" and result.error["kind"] == "auth"
    assert kinds(events, "model_call_finished")[0].error["kind"] == "auth" and _closed(events)


def test_history_is_compacted_to_fit_a_small_window(tmp_path):
    root = script(tmp_path, "root", responses=[repl(f"print('{c}' * 1500)") for c in "abcdef"]
                  + [repl("print(len(history), history[2]['content'][:40])"), "FINAL(done)"],
                  context_window=2000)
    result, events = run_session("q", "ctx", RunSettings(root_model=root, max_iterations=10))
    assert result.status == "completed"
    compactions = kinds(events, "history_compacted")
    assert compactions and compactions[0].tokens_after < compactions[0].tokens_before
    for call in kinds(events, "model_call_started"):
        assert call.prompt_tokens <= 2000 * 0.75 + 50
    # the full messages stay reachable in the REPL as `history`
    n_messages, first_response = kinds(events, "cell_finished")[-1].stdout.split(" ", 1)
    assert int(n_messages) >= 12 and "print('a' * 1500)" in first_response


def test_invalid_settings_and_inputs_are_refused():
    from rlm_studio.engine.session import RlmSession

    with pytest.raises(ValueError, match="empty"):
        RlmSession("q", "", RunSettings())
    with pytest.raises(ValueError, match="question"):
        RlmSession("  ", "ctx", RunSettings())
    with pytest.raises(ValueError, match="iterations"):
        RlmSession("q", "ctx", RunSettings(max_iterations=0))
    with pytest.raises(ValueError, match="context must be"):
        RlmSession("q", {"a": 1}, RunSettings())


def test_cancel_during_a_child_run_finishes_the_child_first(tmp_path):
    root = script(tmp_path, "root", rules=[
        {"match": "Question: top", "content": repl("r = rlm_query('child', context='abc')")},
        {"match": "Question: child", "content": repl("import time\ntime.sleep(600)")},
    ])
    result, events = run_session("top", "ctx", RunSettings(root_model=root, max_depth=1, cell_timeout_s=600),
                                 cancel_on=lambda e: e.kind == "cell_started" and "sleep" in e.code)
    assert result.status == "cancelled"
    finished = kinds(events, "run_finished")
    assert [(f.parent_id is None, f.status) for f in finished] == [(False, "cancelled"), (True, "cancelled")]
    assert _closed(events)
