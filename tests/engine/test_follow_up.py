"""Follow-up questions: each turn a normal run whose REPL is rebuilt from the earlier turns (real sandbox)."""

from __future__ import annotations

import asyncio

from rlm_studio.engine.follow_up import conversation_of, follow_up_session, plan_follow_up, with_more_documents
from rlm_studio.engine.settings import RunSettings

from .scripts import kinds, repl, run_session, script

CONTEXT = "north north south east south south"


def _next_turn(plan, question, root):
    events: list = []

    async def go():
        settings = RunSettings.from_dict(plan.settings.to_dict())
        settings.root_model = root
        session = follow_up_session(plan, question, settings, sinks=[events.append])
        return await session.run()

    return asyncio.run(go()), events


def test_a_follow_up_keeps_variables_and_sees_earlier_questions_and_answers(tmp_path):
    sub = script(tmp_path, "sub", responses=["south is the worst"])
    first_root = script(tmp_path, "root1", responses=[
        repl("counts = {w: context.split().count(w) for w in set(context.split())}\nverdict = llm_query('which?')"),
        repl("FINAL(max(counts, key=counts.get))")])
    first, first_events = run_session("Which word is most common?", CONTEXT,
                                      RunSettings(root_model=first_root, sub_model=sub))
    assert first.answer == "south"

    plan = plan_follow_up([first_events])
    second_root = script(tmp_path, "root2", responses=[
        repl("print(counts['north'], verdict)\nprint(question_1, '->', answer_1, len(history_1))"),
        repl("FINAL(str(counts['north']))")])
    second, events = _next_turn(plan, "And how often is north?", second_root)
    assert second.status == "completed" and second.answer == "2"
    out = kinds(events, "cell_finished")[0]
    assert out.error is None, out.error
    lines = out.stdout.splitlines()
    assert lines[0] == "2 south is the worst"            # the recorded sub-call answer, no new call
    assert lines[1].startswith("Which word is most common? -> south ") and int(lines[1].split()[-1]) >= 4
    assert not kinds(events, "subcall_started")           # rebuilding asked no model anything
    first_user = kinds(events, "model_call_started")[0].messages[1]["content"]
    assert first_user.startswith("This is turn 2 of a conversation")
    assert "- turn 1: Which word is most common? -> answer: south" in first_user
    assert "Question: And how often is north?" in first_user
    notes = {n.code: n for n in kinds(events, "notice")}
    assert "2 code cell(s) of 1 earlier turn(s)" in notes["repl_rebuilt"].message
    assert "rebuild_differs" not in notes
    link = conversation_of(events)
    assert link == {"id": first.run_id, "turn": 2, "previous_run_id": first.run_id}
    assert kinds(events, "run_started")[0].question == "And how often is north?"

    third_plan = plan_follow_up([first_events, events])
    assert third_plan.conversation_id == first.run_id and third_plan.turn == 3


def test_a_cell_whose_result_differs_when_rebuilt_is_noted(tmp_path):
    root = script(tmp_path, "root1", responses=[repl("import time\nstamp = time.time_ns()\nprint(stamp)"),
                                                repl("FINAL('ok')")])
    _, first_events = run_session("q1", CONTEXT, RunSettings(root_model=root))
    _, events = _next_turn(plan_follow_up([first_events]), "q2",
                           script(tmp_path, "root2", responses=[repl("FINAL(str(stamp > 0))")]))
    [differs] = [n for n in kinds(events, "notice") if n.code == "rebuild_differs"]
    assert "`import time`" in differs.message and "turn 1" in differs.message
    assert kinds(events, "final_answer")[0].answer == "True"


def test_a_follow_up_to_a_run_that_stopped_works_from_the_state_it_reached(tmp_path):
    root = script(tmp_path, "root1", responses=[repl("partial = 41"), repl("partial += 1")])
    first, first_events = run_session("q1", CONTEXT, RunSettings(root_model=root, max_iterations=2))
    assert first.status == "limit_hit"
    plan = plan_follow_up([first_events])
    second, events = _next_turn(plan, "q2", script(tmp_path, "root2", responses=[repl("FINAL(str(partial))")]))
    assert second.answer == "42"
    first_user = kinds(events, "model_call_started")[0].messages[1]["content"]
    assert "- turn 1: q1 -> no answer (limit_hit)" in first_user


def test_a_crashed_cell_drops_the_state_before_it_and_timed_out_cells_are_not_rerun(tmp_path):
    root = script(tmp_path, "root1", responses=[
        repl("lost = 1"), repl("import os\nos.kill(os.getpid(), 9)"), repl("kept = 2"),
        repl("import time\ntime.sleep(30)"), repl("FINAL('done')")])
    _, first_events = run_session("q1", CONTEXT, RunSettings(root_model=root, cell_timeout_s=1.0))
    plan = plan_follow_up([first_events])
    assert [c.code for c in plan.cells()] == ["kept = 2", "FINAL('done')"]
    second, events = _next_turn(plan, "q2", script(tmp_path, "root2", responses=[
        repl("print('lost' in globals(), kept)\nFINAL('x')")]))
    assert kinds(events, "cell_finished")[0].stdout.strip() == "False 2"
    assert "1 cell(s) that timed out or were interrupted" in kinds(events, "notice")[0].message


def test_more_documents_join_the_context_of_the_next_turn():
    assert with_more_documents("old text", None) == "old text"
    assert with_more_documents("old text", "new text") == {"context": "old text", "added": "new text"}
    assert with_more_documents({"a.txt": "1"}, {"a.txt": "2", "b.txt": "3"}) == {"a.txt": "1", "a.txt (2)": "2",
                                                                               "b.txt": "3"}


def test_under_the_answer_dict_the_earlier_turns_ready_answer_does_not_end_the_next_turn(tmp_path):
    root = script(tmp_path, "root1", responses=[repl("answer['content'] = 'first'\nanswer['ready'] = True")])
    first, first_events = run_session("q1", CONTEXT, RunSettings(root_model=root, answer_protocol="answer-dict"))
    assert first.answer == "first"
    second, events = _next_turn(plan_follow_up([first_events]), "q2", script(tmp_path, "root2", responses=[
        repl("print(answer, answer_1)"), repl("answer.update(content='second', ready=True)")]))
    assert kinds(events, "cell_finished")[0].stdout.strip() == "{'content': '', 'ready': False} first"
    assert second.answer == "second" and len(kinds(events, "iteration_started")) == 2
