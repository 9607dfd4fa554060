"""Every way a run can end: FINAL/FINAL_VAR, answer["content"] + answer["ready"] = True, and SUBMIT(...)."""

from __future__ import annotations

import pytest

from rlm_studio.engine.prompts import DEFAULT_SYSTEM_PROMPT
from rlm_studio.engine.settings import RunSettings

from ..cli.test_cli_run import cli
from .scripts import kinds, repl, run_session, script


def _run(tmp_path, protocol: str, responses: list[str], **settings):
    root = script(tmp_path, "root", responses=responses)
    settings.setdefault("max_iterations", 4)
    return run_session("What is the code?", "the code is 7731", RunSettings(root_model=root, answer_protocol=protocol,
                                                                           **settings))


def test_answer_dict_ends_the_run_only_when_ready_is_set(tmp_path):
    result, events = _run(tmp_path, "answer-dict", [
        repl("answer['content'] = 'draft'\nprint(answer)"),
        repl("answer['content'] = context.split()[-1]\nanswer['ready'] = True"),
        repl("print('never runs')"),
    ])
    assert result.status == "completed" and result.answer == "7731"
    (final,) = kinds(events, "final_answer")
    assert (final.via, final.source) == ("answer", "code")
    assert len(kinds(events, "cell_finished")) == 2
    assert "{'content': 'draft', 'ready': False}" in kinds(events, "cell_finished")[0].stdout
    prompt = kinds(events, "run_started")[0].system_prompt
    assert 'answer["ready"] = True' in prompt and "FINAL(" not in prompt
    assert kinds(events, "run_started")[0].settings["answer_protocol"] == "answer-dict"


def test_answer_dict_without_ready_runs_out_of_iterations_with_a_best_candidate(tmp_path):
    result, events = _run(tmp_path, "answer-dict", [repl("answer['content'] = '7731'")] * 2, max_iterations=2)
    assert result.status == "limit_hit" and result.answer is None
    assert not kinds(events, "final_answer")


@pytest.mark.parametrize("call, expected", [
    ("SUBMIT(context.split()[-1])", "7731"),
    ("SUBMIT(answer=context.split()[-1])", "7731"),
    ("SUBMIT(code='7731', confidence='high')", '{"code": "7731", "confidence": "high"}'),
])
def test_submit_ends_the_run_with_its_value(tmp_path, call, expected):
    result, events = _run(tmp_path, "submit", [repl(call)])
    assert result.status == "completed" and result.answer == expected
    assert kinds(events, "final_answer")[0].via == "SUBMIT"
    prompt = kinds(events, "run_started")[0].system_prompt
    assert "SUBMIT(answer)" in prompt and "FINAL(" not in prompt


def test_submit_misused_is_an_error_the_model_sees(tmp_path):
    result, events = _run(tmp_path, "submit", [repl("SUBMIT('a', 'b')"), repl("SUBMIT('7731')")])
    first = kinds(events, "cell_finished")[0]
    assert first.error and first.error["type"] == "TypeError" and "takes one answer" in first.error["message"]
    assert result.answer == "7731"


def test_final_is_the_default_and_its_prompt_is_unchanged(tmp_path):
    result, events = _run(tmp_path, "final", [repl("c = context\nFINAL_VAR('c')")])
    assert result.answer == "the code is 7731"
    assert kinds(events, "final_answer")[0].via == "FINAL_VAR"
    assert kinds(events, "run_started")[0].system_prompt == DEFAULT_SYSTEM_PROMPT
    assert RunSettings().answer_protocol == "final"


def test_a_custom_system_prompt_gets_the_protocol_appended(tmp_path):
    _, events = _run(tmp_path, "submit", [repl("SUBMIT(1)")], system_prompt="Be brief.")
    assert kinds(events, "run_started")[0].system_prompt.startswith("Be brief.\n\nHow to finish:\n- `SUBMIT(answer)`")


def test_cli_answer_protocol_option(tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text("the code is 7731")
    root = script(tmp_path, "root", responses=[repl("answer.update(content='7731', ready=True)")])
    out = cli("run", "-c", str(doc), "-q", "code?", "--root-model", root, "--answer-protocol", "answer-dict",
              "--no-db")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7731"
    bad = cli("run", "-c", str(doc), "-q", "code?", "--answer-protocol", "json", "--no-db")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    with pytest.raises(ValueError, match="unknown answer protocol"):
        RunSettings(answer_protocol="json").validate()
