"""Claims about the whole tree, tested through the real engine and sandbox: cost and token budgets hold
when the spending happens two levels down, and a crashed worker is told to the root model."""

from __future__ import annotations

from rlm_studio.engine.settings import RunSettings

from .scripts import kinds, repl, run_session, script

SUB_COST = 0.01


def tree_scripts(tmp_path):
    """root -> rlm_query child (depth 1) -> rlm_query grandchild (depth 2), which spends in a loop."""
    sub = script(tmp_path, "sub", rules=[], default="ok", cost_usd=SUB_COST)
    root = script(tmp_path, "root", rules=[
        {"match": "Question: top", "content": repl("r = rlm_query('middle', context='abc')\nprint(r)")},
        {"match": "Question: middle", "content": repl("r = rlm_query('deep', context='abc')\nprint(r)")},
        {"match": "Question: deep", "content": repl("while True:\n    llm_query('spend ' * 20)")},
    ])
    return root, sub


def depth_of_runs(events) -> dict[str, int]:
    return {e.node_id: e.depth for e in kinds(events, "run_started")}


def spent(events) -> tuple[float, int]:
    """(cost, tokens) of every model call and sub-call in the stream."""
    calls = kinds(events, "model_call_finished") + kinds(events, "subcall_finished")
    cost = sum(c.cost_usd or 0.0 for c in calls)
    tokens = sum(int((c.usage or {}).get("input_tokens") or 0) + int((c.usage or {}).get("output_tokens") or 0)
                 for c in calls)
    return cost, tokens


def deep_subcalls(events) -> list:
    """Sub-calls made by cells of the depth-2 run."""
    depth = depth_of_runs(events)
    deep_runs = {node for node, d in depth.items() if d == 2}
    iterations = {e.node_id for e in kinds(events, "iteration_started") if e.parent_id in deep_runs}
    cells = {e.node_id for e in kinds(events, "cell_started") if e.parent_id in iterations}
    return [e for e in kinds(events, "subcall_finished") if e.parent_id in cells and not e.error]


def test_a_cost_budget_holds_when_a_grandchild_spends_it(tmp_path):
    root, sub = tree_scripts(tmp_path)
    limit = 0.1
    result, events = run_session("top", "ctx", RunSettings(root_model=root, sub_model=sub, max_depth=2,
                                                          max_cost_usd=limit, cell_timeout_s=120))
    assert (result.status, result.limit) == ("limit_hit", "max_cost_usd")
    assert 2 in depth_of_runs(events).values() and result.totals["max_depth_reached"] == 2
    assert len(deep_subcalls(events)) >= 5             # the depth-2 run did the spending
    cost, _ = spent(events)
    assert limit <= cost <= limit + SUB_COST + 1e-9     # at most the one call in flight goes past
    assert abs(result.totals["cost_usd"] - cost) < 1e-9
    assert all(e.status != "completed" for e in kinds(events, "run_finished"))


def test_a_token_budget_holds_when_a_grandchild_spends_it(tmp_path):
    root, sub = tree_scripts(tmp_path)
    # what the three root calls (top, middle, deep) cost in tokens, measured on a run stopped by sub-calls
    probe, probe_events = run_session("top", "ctx", RunSettings(root_model=root, sub_model=sub, max_depth=2,
                                                                max_subcalls=1, cell_timeout_s=120))
    root_calls = sum(int(c.usage["input_tokens"]) + int(c.usage["output_tokens"])
                     for c in kinds(probe_events, "model_call_finished"))
    limit = root_calls + 400                        # leaves room for some 10+ sub-calls of ~31 tokens, deep down
    result, events = run_session("top", "ctx", RunSettings(root_model=root, sub_model=sub, max_depth=2,
                                                          max_tokens=limit, cell_timeout_s=120))
    assert (result.status, result.limit) == ("limit_hit", "max_tokens")
    assert len(deep_subcalls(events)) >= 5
    calls = kinds(events, "model_call_finished") + kinds(events, "subcall_finished")
    largest = max(int(c.usage["input_tokens"]) + int(c.usage["output_tokens"]) for c in calls if c.usage)
    _, tokens = spent(events)
    assert limit <= tokens <= limit + largest
    assert result.totals["input_tokens"] + result.totals["output_tokens"] == tokens


def test_the_crash_note_reaches_the_root_models_next_prompt(tmp_path):
    root = script(tmp_path, "root", responses=[
        repl("kept = 41\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        repl("print('kept' in globals())"),
        "FINAL(after the crash)",
    ])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, cell_timeout_s=60))
    assert (result.status, result.answer) == ("completed", "after the crash")
    [crashed] = [c for c in kinds(events, "cell_finished") if c.crashed]
    calls = kinds(events, "model_call_started")
    assert len(calls) == 3
    prompt_after_crash = calls[1].messages[-1]
    assert prompt_after_crash["role"] == "user"
    assert "REPL worker died" in prompt_after_crash["content"]
    assert crashed.crashed in prompt_after_crash["content"]     # the cause, as the worker reported it
    assert "REPL worker died" not in calls[0].messages[-1]["content"]
    assert "False" in calls[2].messages[-1]["content"]           # and it was true: `kept` is gone
