"""The RLM loop end to end: scripted root models drive real sandboxed workers."""

from __future__ import annotations

import json
import random

from rlm_studio.engine.events import event_from_dict
from rlm_studio.engine.run_tree import fold_nodes
from rlm_studio.engine.settings import RunSettings

from .scripts import kinds, repl, run_session, script


def haystack(n_chars: int, needle: str, at: float = 0.63) -> str:
    rng = random.Random(7)
    words = ["alpha", "river", "stone", "cloud", "amber", "delta", "forest", "quartz", "meadow", "signal"]
    text = []
    size = 0
    while size < n_chars:
        w = rng.choice(words)
        text.append(w)
        size += len(w) + 1
    body = " ".join(text)[:n_chars]
    cut = int(len(body) * at)
    return body[:cut] + f" {needle} " + body[cut:]


def test_needle_in_a_million_characters_found_with_code(tmp_path):
    context = haystack(1_000_000, "The secret code is 48213.")
    root = script(tmp_path, "root", responses=[
        repl("import re\nm = re.search(r'secret code is (\\d+)', context)\nprint(len(context), m.group(1))"),
        repl("code = m.group(1)\nFINAL_VAR('code')"),
    ])
    result, events = run_session("What is the secret code?", context, RunSettings(root_model=root, max_iterations=5))
    assert result.status == "completed"
    assert result.answer == "48213"
    cells = kinds(events, "cell_finished")
    assert "48213" in cells[0].stdout and str(len(context)) in cells[0].stdout
    # the root model never saw the context itself, only its metadata
    first_call = kinds(events, "model_call_started")[0]
    prompt = "\n".join(m["content"] for m in first_call.messages)
    assert "48213" not in prompt and "1,000,0" in prompt
    final = kinds(events, "final_answer")[0]
    assert final.via == "FINAL_VAR" and final.var_name == "code" and final.source == "code"


def test_aggregation_over_chunks_with_batched_subcalls(tmp_path):
    chunks = [f"Region {i}: " + " ".join(["sale"] * (i + 1)) for i in range(8)]
    context = "\n".join(chunks)
    sub = script(tmp_path, "sub", rules=[
        {"match": f"Region {i}:", "content": str(i + 1)} for i in range(8)], default="0")
    root = script(tmp_path, "root", responses=[
        repl("parts = context.split('\\n')\n"
             "counts = llm_query_batched([f'How many sales? {p}' for p in parts])\n"
             "total = sum(int(c) for c in counts)\nprint(total)"),
        "The total is computed.\nFINAL_VAR(total)\n",
    ])
    result, events = run_session("How many sales in total?", context,
                                 RunSettings(root_model=root, sub_model=sub))
    assert result.answer == "36"
    subcalls = kinds(events, "subcall_finished")
    assert len(subcalls) == 8 and result.totals["subcalls"] == 8
    started = kinds(events, "subcall_started")
    assert {s.batch_index for s in started} == set(range(8)) and len({s.batch_id for s in started}) == 1
    # usage of every item is its own: prompts differ in length, so do input tokens
    assert len({s.usage["input_tokens"] for s in subcalls}) > 1
    final = kinds(events, "final_answer")[0]
    assert final.source == "text" and final.via == "FINAL_VAR"


def test_depth_two_recursion_and_the_depth_limit(tmp_path):
    # one script serves every level; rules pick the response by the question each level sees
    root = script(tmp_path, "root", rules=[
        {"match": "Question: top question", "content": repl("r = rlm_query('mid question', context=context[:50])\nFINAL(r)")},
        {"match": "Question: mid question", "content": repl("r = rlm_query('leaf question')\nFINAL('mid saw ' + r)")},
        {"match": "Question: leaf question", "content": repl("FINAL(rlm_query('deepest question'))")},
        {"match": "deepest question", "content": "deep answer"},
    ])
    result, events = run_session("top question", "x" * 500, RunSettings(root_model=root, max_depth=2))
    assert result.status == "completed", result
    runs = kinds(events, "run_started")
    assert [r.depth for r in runs] == [0, 1, 2]
    # at depth 2 rlm_query would exceed max_depth=2, so it is a plain sub-call
    assert result.answer == "mid saw deep answer"
    assert [s.via for s in kinds(events, "subcall_started")] == ["rlm_query"]
    assert result.totals["max_depth_reached"] == 2 and result.totals["child_runs"] == 2
    nodes = fold_nodes(events)
    child = nodes[runs[1].node_id]
    assert nodes[child.parent_id].kind == "cell"


def test_depth_one_turns_rlm_query_into_llm_query(tmp_path):
    root = script(tmp_path, "root", rules=[
        {"match": "Question: q", "content": repl("FINAL(rlm_query('sub question'))")},
        {"match": "sub question", "content": "plain answer"},
    ])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, max_depth=0))
    assert result.answer == "plain answer"
    assert [e.depth for e in kinds(events, "run_started")] == [0]
    assert kinds(events, "subcall_started")[0].via == "rlm_query"


def test_final_var_of_undefined_name_is_fed_back_not_answered(tmp_path):
    root = script(tmp_path, "root", responses=[
        "I know it.\nFINAL_VAR(missing)\n",
        repl("missing = 'now defined'"),
        "FINAL_VAR(missing)",
    ])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert result.answer == "now defined"
    notices = [n for n in kinds(events, "notice") if n.code == "final_var_undefined"]
    assert len(notices) == 1
    second_prompt = kinds(events, "model_call_started")[1].messages[-1]["content"]
    assert "no variable named 'missing'" in second_prompt


def test_plans_mentioning_final_do_not_end_the_run(tmp_path):
    root = script(tmp_path, "root", responses=[
        "I will look first and call FINAL(answer) once I know.\n" + repl("x = 1"),
        "```repl\nprint('FINAL(not this)')\n```\nFINAL(this one)",
    ])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert result.answer == "this one"
    assert len(kinds(events, "iteration_started")) == 2


def test_output_is_truncated_with_a_note(tmp_path):
    root = script(tmp_path, "root", responses=[repl("print('y' * 50000)"), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, output_limit_chars=1000))
    cell = kinds(events, "cell_finished")[0]
    assert cell.stdout_chars == 50001 and cell.feedback_cut_chars == 49001
    fed_back = kinds(events, "model_call_started")[1].messages[-1]["content"]
    assert "output truncated: 49,001 of 50,001 characters not shown" in fed_back
    assert fed_back.count("y") < 1100


def test_subcall_failure_raises_a_typed_exception_in_the_repl(tmp_path):
    sub = script(tmp_path, "sub", rules=[{"match": "boom", "content": "", "error": "server"}], default="fine")
    root = script(tmp_path, "root", responses=[repl(
        "try:\n    llm_query('boom')\nexcept SubcallError as e:\n    caught = e.kind\n"
        "rs = llm_query_batched(['boom', 'ok'], return_exceptions=True)\n"
        "print(caught, type(rs[0]).__name__, rs[1])\nFINAL(caught)")])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, sub_model=sub))
    assert result.answer == "server"
    assert "server SubcallError fine" in kinds(events, "cell_finished")[0].stdout
    failed = [s for s in kinds(events, "subcall_finished") if s.error]
    assert len(failed) == 2 and all(s.error["kind"] == "server" for s in failed)


def test_variables_survive_an_exception_and_a_crash_is_reported(tmp_path):
    root = script(tmp_path, "root", responses=[
        repl("kept = 41\nraise ValueError('oops')"),
        repl("print(kept + 1)"),
        "FINAL(ok)",
    ])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    cells = kinds(events, "cell_finished")
    assert cells[0].error["type"] == "ValueError" and cells[1].stdout.strip() == "42"


def test_events_are_json_and_rebuild_the_tree(tmp_path):
    sub = script(tmp_path, "sub", rules=[], default="sub answer")
    root = script(tmp_path, "root", responses=[repl("a = llm_query('hi')\nprint(a)"), "FINAL(x)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, sub_model=sub))
    stored = [event_from_dict(json.loads(json.dumps(e.to_dict()))) for e in events if not e.ephemeral]
    assert fold_nodes(stored) == fold_nodes([e for e in events if not e.ephemeral])
    nodes = fold_nodes(stored)
    kinds_by_parent = {(n.kind, nodes[n.parent_id].kind if n.parent_id else None) for n in nodes.values()}
    assert {("run", None), ("iteration", "run"), ("model_call", "iteration"), ("cell", "iteration"),
            ("subcall", "cell"), ("final_answer", "run")} <= kinds_by_parent
    assert all(n.status != "running" for n in nodes.values())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    finished = kinds(events, "run_finished")[0]
    assert finished.totals["model_calls"] == 3 and finished.status == "completed"


def test_a_response_without_repl_code_is_told_how_to_run_code(tmp_path):
    root = script(tmp_path, "root", responses=["Let me think.", "```python\nprint(1)\n```", "FINAL(x)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    calls = kinds(events, "model_call_started")
    assert "had no ```repl block" in calls[1].messages[-1]["content"]
    assert "only ```repl blocks run" in calls[2].messages[-1]["content"]
    assert not kinds(events, "cell_started") and result.answer == "x"


def test_the_sandbox_level_is_on_the_run_from_its_first_event(tmp_path):
    root = script(tmp_path, "root", responses=[repl("FINAL(1)")])
    _, events = run_session("q", "ctx", RunSettings(root_model=root))
    started = kinds(events, "run_started")[0]
    assert started.isolation == "bwrap" and started.warnings == []
    _, events = run_session("q", "ctx", RunSettings(root_model=root, isolation="process"))
    started = kinds(events, "run_started")[0]
    assert started.isolation == "process" and "process" in started.warnings[0]
    assert [n.code for n in kinds(events, "notice")] == ["sandbox_fallback"]
