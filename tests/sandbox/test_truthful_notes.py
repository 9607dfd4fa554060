"""What the root model is told about a block's output is true: totals after huge prints, what survived a
killed worker, forged frames, output of background threads. Scripted root, real sandbox."""

from __future__ import annotations

from rlm_studio.engine.settings import RunSettings
from tests.engine.scripts import kinds, repl, run_session, script

from .test_output_attribution import RELEASE_IT, START_LATE_PRINTER
from .test_protocol import FORGE


def fed_back(events: list, call: int) -> str:
    return kinds(events, "model_call_started")[call].messages[-1]["content"]


def test_a_huge_print_is_reported_with_its_true_total(tmp_path):
    root = script(tmp_path, "root", responses=[repl("print('x' * 3_000_000)"), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, output_limit_chars=1000))
    cell = kinds(events, "cell_finished")[0]
    assert cell.stdout_chars == 3_000_001 and len(cell.stdout) == 1_000_000  # the REPL kept the first million
    text = fed_back(events, 1)
    assert "output truncated: 2,999,001 of 3,000,001 characters not shown" in text
    assert cell.feedback_cut_chars == 2_999_001


def test_after_a_killed_worker_the_model_is_not_told_its_variables_are_kept(tmp_path):
    stubborn = "x = 1\nimport time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass"
    root = script(tmp_path, "root", responses=[repl(stubborn), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root, cell_timeout_s=0.5))
    cell = kinds(events, "cell_finished")[0]
    assert cell.crashed and cell.timed_out
    text = fed_back(events, 1)
    assert "all variables were lost" in text
    assert "kept" not in text


def test_a_forged_frame_is_told_to_the_model_and_stored_as_a_notice(tmp_path):
    forge = FORGE.replace("SOCKET", "control").replace("PAYLOAD", "frame(dict(good, stdout_chars='many'))")
    root = script(tmp_path, "root", responses=[repl("a = 1"), repl(forge), repl("print('after', 'a' in globals())"),
                                               "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    assert result.status == "completed" and result.answer == "done"
    forged, after = kinds(events, "cell_finished")[1:3]
    assert forged.crashed and "breaks the protocol" in forged.crashed
    assert after.stdout == "after False\n"
    notices = [n for n in kinds(events, "notice") if n.code == "protocol_violation"]
    assert len(notices) == 1 and "stdout_chars" in notices[0].message and notices[0].node_id == forged.node_id
    assert "breaks the protocol" in fed_back(events, 2)


def test_a_crash_around_a_block_is_told_as_what_happened(tmp_path):
    """A forged but well-formed result is believed; the genuine one that follows is a violation that ends
    the worker, before the next block starts or while it runs (the host does not wait): either way the
    note says which, and never that the block's own variables were kept."""
    forge = FORGE.replace("SOCKET", "control").replace("PAYLOAD", "frame(dict(good))")
    root = script(tmp_path, "root", responses=[repl(forge), repl("b = 2\nprint('fresh')"), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    second = kinds(events, "cell_finished")[1]
    assert second.crashed and "a result for a cell that is not running" in second.crashed
    text = fed_back(events, 2)
    if "between cells" in second.crashed:
        assert second.stdout == "fresh\n"
        assert "before this block ran" in text and "this block ran in the fresh REPL" in text
        assert "including any this block assigned" not in text
    else:
        assert "including any this block assigned" in text and "before this block ran" not in text
    assert "kept" not in text


def test_background_output_is_dropped_with_a_note_never_shown_as_the_next_blocks(tmp_path):
    root = script(tmp_path, "root", responses=[repl(START_LATE_PRINTER), repl(RELEASE_IT), "FINAL(done)"])
    result, events = run_session("q", "ctx", RunSettings(root_model=root))
    second = kinds(events, "cell_finished")[1]
    assert second.stdout == "cell 2 itself\n"
    text = fed_back(events, 2)
    assert "late line" not in text
    assert "22 characters printed by background threads of earlier blocks" in text
    assert [n.code for n in kinds(events, "notice") if n.node_id == second.node_id] == ["background_output"]
