import json

import pytest

from rlm_studio.analysis.failure_modes import KINDS, Thresholds, detect_failure_modes
from tests.analysis.analysis_streams import StreamBuilder, simple_run


def kinds_of(events, **kw):
    return [f.kind for f in detect_failure_modes(events, **kw)]


def one_iteration_run(*, context="x" * 100_000, cells=(), answer=None, via="FINAL", var_name=None,
                      prompt_tokens=100, window=8000, finish=True):
    """A run whose single iteration runs `cells` (dicts of StreamBuilder.cell keywords) then answers."""
    b = StreamBuilder()
    run = b.start_run(context=context)
    it = b.iteration(run, 1)
    b.model_call(it, "```repl\n...\n```", prompt_tokens=prompt_tokens, context_window=window)
    last = None
    for i, cell in enumerate(cells, start=1):
        last = b.cell(it, index=i, **cell)
    if answer is not None:
        b.final(run, answer, via=via, var_name=var_name, cell=last)
    b.end_iteration(it, 1, code_blocks=len(cells), ended_run=answer is not None)
    if finish:
        b.finish(run, answer=answer)
    return b


def test_clean_run_has_no_findings_and_findings_serialise():
    assert detect_failure_modes(simple_run().events) == []
    b = one_iteration_run(cells=[{"code": "x=1"}], answer="I will call FINAL when done")
    finding = detect_failure_modes(b.events)[0]
    assert json.loads(json.dumps(finding.to_dict()))["kind"] == "final_confusion" and finding["nodes"]


# -- over_subcalling --------------------------------------------------------------------------
def test_over_subcalling_per_iteration():
    many = [(f"chunk {i}", "ok") for i in range(60)]
    b = one_iteration_run(cells=[{"code": "llm_query_batched(chunks)", "subcalls": many, "parallel": True}])
    findings = detect_failure_modes(b.events, kinds=["over_subcalling"])
    assert len(findings) == 1 and "60 sub-calls" in findings[0].reason
    assert findings[0].nodes == [b.events[2].node_id]  # the iteration
    few = one_iteration_run(cells=[{"code": "q", "subcalls": many[:10]}])
    assert kinds_of(few.events, kinds=["over_subcalling"]) == []


def test_over_subcalling_per_iteration_counts_an_iterations_own_sub_calls_not_its_child_runs():
    from rlm_studio.engine.events import CellFinished, CellStarted

    b = StreamBuilder()
    run = b.start_run(context="x" * 1_000_000)
    it = b.iteration(run, 1)
    b.model_call(it, "```repl\n...\n```")
    cell = b.new_node()
    b.emit(CellStarted(node_id=cell, parent_id=it, iteration=1, index=1, code="rlm_query(q)"))
    for i in range(5):
        b.subcall(cell, f"own {i}", "ok")
    child = b.start_run("child question", depth=1, parent=cell)
    child_it = b.iteration(child, 1)
    b.cell(child_it, "llm_query_batched(chunks)", subcalls=[(f"chunk {i}", "ok") for i in range(60)], parallel=True)
    b.end_iteration(child_it, 1)
    b.finish(child, answer="child answer")
    b.emit(CellFinished(node_id=cell, parent_id=it, duration_ms=1.0))
    b.end_iteration(it, 1)
    b.finish(run, answer="done")
    per_iteration = [f for f in detect_failure_modes(b.events, kinds=["over_subcalling"]) if "per iteration" in f.reason]
    assert [f.nodes for f in per_iteration] == [[child_it]]
    assert "made 60 sub-calls" in per_iteration[0].reason and "child run at depth 1" in per_iteration[0].reason
    loose = Thresholds(max_subcalls_per_iteration=4)
    flagged = {f.nodes[0]: f.reason for f in detect_failure_modes(b.events, loose, kinds=["over_subcalling"])
               if "per iteration" in f.reason}
    assert set(flagged) == {it, child_it} and "made 5 sub-calls" in flagged[it]


def test_over_subcalling_per_input_size():
    calls = [(f"line {i}", "ok") for i in range(25)]
    small_input = one_iteration_run(context="y" * 1000, cells=[{"code": "q", "subcalls": calls}])
    findings = detect_failure_modes(small_input.events, kinds=["over_subcalling"])
    assert len(findings) == 1 and "per 1,000 characters" in findings[0].reason
    big_input = one_iteration_run(context="y" * 100_000, cells=[{"code": "q", "subcalls": calls}])
    assert kinds_of(big_input.events, kinds=["over_subcalling"]) == []


def test_over_subcalling_repeated_identical_prompts():
    b = one_iteration_run(cells=[{"code": "q", "subcalls": [("Is it red?", "no")] * 3 + [("other", "x")]}])
    findings = detect_failure_modes(b.events, kinds=["over_subcalling"])
    assert len(findings) == 1 and "3 times" in findings[0].reason and len(findings[0].nodes) == 3
    twice = one_iteration_run(cells=[{"code": "q", "subcalls": [("Is it red?", "no")] * 2}])
    assert kinds_of(twice.events, kinds=["over_subcalling"]) == []


# -- final_confusion --------------------------------------------------------------------------
@pytest.mark.parametrize("answer, cells", [
    ("result", [{"code": "result = count_words(context)",
                 "variables": [{"name": "result", "type": "int", "summary": "17"}]}]),
    ("len(chunks)", [{"code": "chunks = context.split()"}]),
    ("chunks[3]", [{"code": "chunks = context.split()"}]),
    ("I will call FINAL once I have counted the words.", [{"code": "x = 1"}]),
    ("Let me check the remaining chunks first.", [{"code": "x = 1"}]),
    ("<your answer here>", [{"code": "x = 1"}]),
    ("[final answer]", [{"code": "x = 1"}]),
])
def test_final_confusion_fires(answer, cells):
    b = one_iteration_run(cells=cells, answer=answer)
    findings = detect_failure_modes(b.events, kinds=["final_confusion"])
    assert len(findings) == 1 and findings[0].nodes == [b.events[-3].node_id]  # the final_answer node


@pytest.mark.parametrize("answer", ["Paris", "[1, 2, 3]", "sin(x)", "17", "The result is 17 words.",
                                    "Chapter 3 (The Storm)", "I Will Survive", "Let's Dance",
                                    "I need to know more"])
def test_final_confusion_stays_quiet_on_real_answers(answer):
    b = one_iteration_run(cells=[{"code": "result = 17\nchunks = context.split()"}], answer=answer)
    assert kinds_of(b.events, kinds=["final_confusion"]) == []


def test_final_var_of_an_undefined_name_is_final_confusion():
    b = one_iteration_run(cells=[{"code": "FINAL_VAR('answr')",
                                  "error": {"type": "NameError", "message": "FINAL_VAR: no variable 'answr'"}}],
                          finish=False)
    cell = next(e.node_id for e in b.events if e.kind == "cell_started")
    b.notice(cell, "final_var_undefined", "FINAL_VAR: no variable 'answr'")
    findings = detect_failure_modes(b.events, kinds=["final_confusion"])
    assert len(findings) == 1 and findings[0].nodes == [cell] and "does not exist" in findings[0].reason


# -- answer_discarded -------------------------------------------------------------------------
def test_answer_discarded_when_the_computed_number_is_not_the_answer():
    cells = [{"code": "answer = sum(counts)", "variables": [{"name": "answer", "type": "int", "summary": "1234"}]}]
    b = one_iteration_run(cells=cells, answer="There are about 1200 matching lines.")
    findings = detect_failure_modes(b.events, kinds=["answer_discarded"])
    assert len(findings) == 1 and "1234" in findings[0].reason and len(findings[0].nodes) == 2
    for same in ("1,234", "There are 1234 matching lines.", "1234.0"):
        ok = one_iteration_run(cells=cells, answer=same)
        assert kinds_of(ok.events, kinds=["answer_discarded"]) == [], same


def test_answer_discarded_from_a_printed_answer_line():
    b = one_iteration_run(cells=[{"code": "print('answer:', best)", "stdout": "checked 40 chunks\nanswer: Lisbon\n"}],
                          answer="Madrid")
    findings = detect_failure_modes(b.events, kinds=["answer_discarded"])
    assert len(findings) == 1 and "Lisbon" in findings[0].reason
    ok = one_iteration_run(cells=[{"code": "print('answer:', best)", "stdout": "answer: Lisbon\n"}],
                           answer="The capital is Lisbon.")
    assert kinds_of(ok.events, kinds=["answer_discarded"]) == []


def test_answer_discarded_is_conservative():
    # FINAL_VAR of the variable itself, a truncated summary, and an intermediate text `result`
    cells = [{"code": "answer = 5", "variables": [{"name": "answer", "type": "int", "summary": "5"}]}]
    assert kinds_of(one_iteration_run(cells=cells, answer="6", via="FINAL_VAR", var_name="answer").events,
                    kinds=["answer_discarded"]) == []
    long = [{"code": "answer = text", "variables": [{"name": "answer", "type": "str", "summary": "'abc...xyz'"}]}]
    assert kinds_of(one_iteration_run(cells=long, answer="other").events, kinds=["answer_discarded"]) == []
    weak = [{"code": "result = 5", "variables": [{"name": "result", "type": "int", "summary": "5"}]}]
    assert kinds_of(one_iteration_run(cells=weak, answer="There are 12 lines").events,
                    kinds=["answer_discarded"]) == []
    assert kinds_of(one_iteration_run(cells=weak, answer="12").events, kinds=["answer_discarded"]) == \
        ["answer_discarded"]
    text_result = [{"code": "result = llm_query(p)",
                    "variables": [{"name": "result", "type": "str", "summary": "'chunk 3 mentions a ship'"}]}]
    assert kinds_of(one_iteration_run(cells=text_result, answer="The ship is the Nautilus").events,
                    kinds=["answer_discarded"]) == []


# -- context_pressure -------------------------------------------------------------------------
def test_context_pressure_near_the_window_or_after_compaction():
    near = one_iteration_run(cells=[{"code": "x"}], prompt_tokens=6500, window=8000)
    findings = detect_failure_modes(near.events, kinds=["context_pressure"])
    assert len(findings) == 1 and "81%" in findings[0].reason
    assert kinds_of(one_iteration_run(cells=[{"code": "x"}], prompt_tokens=6300, window=8000).events,
                    kinds=["context_pressure"]) == []
    assert kinds_of(near.events, kinds=["context_pressure"], thresholds={"context_pressure_ratio": 0.9}) == []
    assert Thresholds.from_dict(Thresholds().to_dict()) == Thresholds()
    b = simple_run()
    b.compacted(b.events[0].node_id, [1])
    findings = detect_failure_modes(b.events, kinds=["context_pressure"])
    assert len(findings) == 1 and "compacted" in findings[0].reason


# -- repeated_errors --------------------------------------------------------------------------
def _error_cells(messages):
    return [{"code": f"step{i}()", "error": {"type": "NameError", "message": m}} for i, m in enumerate(messages)]


def test_repeated_errors_three_in_a_row_across_iterations():
    b = StreamBuilder()
    run = b.start_run()
    cells = []
    for index in (1, 2, 3):
        it = b.iteration(run, index)
        b.model_call(it, "```repl\nfoo()\n```", index=index)
        cells.append(b.cell(it, "foo()", iteration_index=index,
                            error={"type": "NameError", "message": "name 'foo' is not defined"}))
        b.end_iteration(it, index)
    findings = detect_failure_modes(b.events, kinds=["repeated_errors"])
    assert len(findings) == 1 and findings[0].nodes == cells and "3 consecutive" in findings[0].reason


def test_repeated_errors_needs_the_same_error_consecutively():
    same_twice = ["name 'a' is not defined"] * 2 + ["name 'b' is not defined"]
    assert kinds_of(one_iteration_run(cells=_error_cells(same_twice)).events, kinds=["repeated_errors"]) == []
    broken = _error_cells(["name 'a' is not defined"] * 2) + [{"code": "ok()"}] + \
        _error_cells(["name 'a' is not defined"])
    assert kinds_of(one_iteration_run(cells=broken).events, kinds=["repeated_errors"]) == []
    assert kinds_of(one_iteration_run(cells=broken).events, kinds=["repeated_errors"],
                    thresholds=Thresholds(repeated_error_count=2)) == ["repeated_errors"]


# -- iteration_limit and no_code --------------------------------------------------------------
def test_iteration_limit():
    b = one_iteration_run(cells=[{"code": "x"}], finish=False)
    b.finish(b.events[0].node_id, status="limit_hit", limit="max_iterations")
    findings = detect_failure_modes(b.events, kinds=["iteration_limit"])
    assert len(findings) == 1 and findings[0].nodes == [b.events[0].node_id]
    other = one_iteration_run(cells=[{"code": "x"}], finish=False)
    other.finish(other.events[0].node_id, status="limit_hit", limit="max_cost_usd")
    assert kinds_of(other.events, kinds=["iteration_limit"]) == []


def test_no_code_iterations():
    b = StreamBuilder()
    run = b.start_run()
    it1 = b.iteration(run, 1)
    call = b.model_call(it1, "I think the answer is in chapter 3.")
    b.end_iteration(it1, 1, code_blocks=0)
    it2 = b.iteration(run, 2)
    b.model_call(it2, "FINAL(chapter 3)", index=2)
    b.final(run, "chapter 3", source="text")
    b.end_iteration(it2, 2, code_blocks=0, ended_run=True)
    b.finish(run, answer="chapter 3")
    findings = detect_failure_modes(b.events)
    assert [f.kind for f in findings] == ["no_code"] and findings[0].nodes == [it1, call]


def test_thresholds_are_checked_and_kinds_are_known():
    with pytest.raises(ValueError, match="above 0"):
        Thresholds(repeated_error_count=0)
    with pytest.raises(ValueError, match="unknown failure-mode threshold"):
        detect_failure_modes([], {"nope": 1})
    with pytest.raises(ValueError, match="unknown failure mode"):
        detect_failure_modes([], kinds=["bogus"])
    assert KINDS == ("over_subcalling", "final_confusion", "answer_discarded", "context_pressure",
                     "repeated_errors", "iteration_limit", "no_code")
