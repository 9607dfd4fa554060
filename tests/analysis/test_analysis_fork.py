import pytest

from tests.analysis.analysis_streams import StreamBuilder
from rlm_studio.analysis.fork import fork_plan, fork_prefix
from rlm_studio.analysis.tree import RunTree


def three_iteration_run(compact_before_3=False):
    """A run whose root messages grow turn by turn, like the engine's history does."""
    b = StreamBuilder("src-run")
    run = b.start_run("How many words?")
    base = [{"role": "system", "content": "sys"}, {"role": "user", "content": "How many words?"}]
    history = list(base)
    responses = ["```repl\nwords = context.split()\n```",
                 "```repl\nn = len(words)\nprint(n)\n```",
                 "```repl\nFINAL_VAR('n')\n```"]
    feedback = ["Output of repl block 1:\n(no output)", "Output of repl block 1:\n4"]
    for index, response in enumerate(responses, start=1):
        it = b.iteration(run, index)
        messages = list(history)
        if compact_before_3 and index == 3:
            messages = base + [{"role": "assistant", "content": "(earlier iterations, compacted)"},
                               {"role": "user", "content": "summary"}]
            b.compacted(run, [1, 2])
        b.model_call(it, response, index=index, messages=messages)
        code = response.split("\n", 1)[1].rsplit("\n```", 1)[0]
        if index == 1:
            b.cell(it, code, iteration_index=1, subcalls=[("Is this English?", "yes")])
        elif index == 2:
            b.cell(it, code, iteration_index=2, stdout="4\n")
        else:
            cell = b.cell(it, code, iteration_index=3, final={"value": "4", "source": "FINAL_VAR", "var": "n"})
            b.final(run, "4", via="FINAL_VAR", var_name="n", cell=cell)
        b.end_iteration(it, index, ended_run=index == 3)
        if index < 3:
            history += [{"role": "assistant", "content": response}, {"role": "user", "content": feedback[index - 1]}]
    b.finish(run, answer="4")
    return b


def test_fork_prefix_keeps_everything_before_the_iteration_restamped():
    source = three_iteration_run().events
    prefix = fork_prefix(source, 3, new_run_id="fork-1")
    cut = next(e for e in source if e.kind == "iteration_started" and e.index == 3)
    original = [e for e in source if e.seq < cut.seq]
    assert [e.kind for e in prefix] == [e.kind for e in original]
    assert [e.node_id for e in prefix] == [e.node_id for e in original]
    assert [e.seq for e in prefix] == list(range(1, len(prefix) + 1))
    assert {e.run_id for e in prefix} == {"fork-1"}
    assert prefix[0].forked_from == {"run_id": "src-run", "node_id": cut.node_id, "iteration": 3}
    assert source[0].forked_from is None and source[0].run_id == "src-run"  # the source is untouched
    tree = RunTree.from_events(prefix)
    assert [tree.node(c).iteration for c in tree.children(tree.root_id)] == [1, 2]
    assert tree.node(tree.root_id).status == "running"


def test_fork_plan_gives_messages_turns_and_cells_to_continue_from():
    plan = fork_plan(three_iteration_run().events, 3, new_run_id="fork-1")
    assert plan.messages[-2:] == [{"role": "assistant", "content": "```repl\nn = len(words)\nprint(n)\n```"},
                                  {"role": "user", "content": "Output of repl block 1:\n4"}]
    assert [(t["iteration"], t["exact"]) for t in plan.turns] == [(1, True), (2, True)]
    assert plan.turns[0]["feedback"] == "Output of repl block 1:\n(no output)"
    assert plan.cell_codes == ["words = context.split()", "n = len(words)\nprint(n)"]
    assert plan.cells[0]["subcalls"][0]["prompt"] == "Is this English?"
    assert plan.cells[0]["subcalls"][0]["response"] == "yes"
    assert plan.next_seq == len(plan.events) + 1
    assert plan.next_node_number == 1 + max(int(e.node_id[1:]) for e in plan.events)


def test_fork_at_the_first_iteration_keeps_only_the_run_start():
    plan = fork_plan(three_iteration_run().events, 1)
    assert [e.kind for e in plan.events] == ["run_started", "context_attached"]
    assert plan.turns == [] and plan.cells == [] and plan.messages[-1]["content"] == "How many words?"
    assert len(plan.new_run_id) == 20


def test_compacted_turns_get_rebuilt_feedback():
    plan = fork_plan(three_iteration_run(compact_before_3=True).events, 3)
    assert [t["exact"] for t in plan.turns] == [True, False]
    assert plan.turns[1]["feedback"] == "Output of repl block 1:\n4\n"
    assert plan.messages[-1]["content"] == "summary"


def test_fork_refuses_bad_iterations_clearly():
    events = three_iteration_run().events
    with pytest.raises(ValueError, match=r"iterations are 1\.\.3"):
        fork_plan(events, 4)
    with pytest.raises(ValueError, match="whole number"):
        fork_plan(events, "2")
    with pytest.raises(ValueError, match="no root run"):
        fork_plan([], 1)
    assert fork_prefix([e.to_dict() for e in events], 2)[0].kind == "run_started"  # stored dicts work too
