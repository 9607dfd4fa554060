"""Answer protocols through storage and analysis: logs of the answer-dict era import, both export
formats keep how a run ended, and the detectors understand each protocol."""

from __future__ import annotations

import json

from rlm_studio.analysis.failure_modes import detect_failure_modes
from rlm_studio.engine.settings import RunSettings
from tests.engine.scripts import repl, run_session, script
from tests.support.files import FIXTURES


def _final(store, run_id):
    return next(e for e in store.load_events(run_id) if e.kind == "final_answer")


def _protocol(store, run_id):
    return store.load_events(run_id)[0].settings.get("answer_protocol")


def test_a_log_of_the_answer_dict_era_imports_with_its_protocol(store):
    [result] = store.import_file(FIXTURES / "rlms_answer_dict_log.jsonl")
    run = store.get_run(result["run_id"])
    assert (run["question"], run["answer"], run["status"]) == ("Which region had the most outages?", "south",
                                                                "completed")
    final = _final(store, run["id"])
    assert (final.via, final.source) == ("answer", "code")
    assert _protocol(store, run["id"]) == "answer-dict"
    [sub] = [n for n in store.load_nodes(run["id"]) if n["kind"] == "subcall"]
    assert (sub["input_tokens"], sub["output_tokens"], sub["model"]) == (40, 2, "gpt-5-nano")
    kinds = {f.kind for f in detect_failure_modes(store.load_events(run["id"]))}
    assert "final_confusion" not in kinds and "answer_discarded" not in kinds


def test_older_logs_are_read_as_the_final_protocol(store):
    first, _ = store.import_file(FIXTURES / "rlm_old_final_format.jsonl")
    assert _protocol(store, first["run_id"]) == "final"
    [current] = store.import_file(FIXTURES / "rlms_0.1.3_log.jsonl")
    assert _protocol(store, current["run_id"]) == "answer-dict"


def _stored_run(store, tmp_path, protocol, responses, **settings):
    root = script(tmp_path, f"root-{protocol}", responses=responses)
    result, events = run_session("What is the code?", "the code is 7731",
                                 RunSettings(root_model=root, answer_protocol=protocol, **settings))
    store.ingest_events(events)
    return result, events


def test_both_export_formats_keep_how_each_protocol_ended(store, tmp_path):
    for protocol, code, via in (("answer-dict", "answer['content'] = '7731'\nanswer['ready'] = True", "answer"),
                                ("submit", "SUBMIT('7731')", "SUBMIT"),
                                ("final", "FINAL('7731')", "FINAL")):
        result, _ = _stored_run(store, tmp_path, protocol, [repl(code)])
        ours = store.export_run(result.run_id, tmp_path / f"{protocol}.jsonl")
        official = store.export_run(result.run_id, tmp_path / f"{protocol}-official.jsonl", format="official")
        lines = [json.loads(line) for line in official.read_text().splitlines()]
        assert lines[1]["code_blocks"][0]["result"]["final_answer"] == "7731"
        for path in (ours, official):
            [back] = store.import_file(path)
            final = _final(store, back["run_id"])
            assert (final.answer, final.via) == ("7731", via), (protocol, path.name)
            assert _protocol(store, back["run_id"]) == protocol, (protocol, path.name)


def test_final_in_a_run_that_asked_for_the_answer_dict_is_template_confusion(store, tmp_path):
    result, events = _stored_run(store, tmp_path, "answer-dict", ["The code is known.\nFINAL(7731)"])
    assert result.answer == "7731"
    [finding] = [f for f in detect_failure_modes(events) if f.kind == "final_confusion"]
    assert 'asked for answer["ready"] = True' in finding.reason and "FINAL" in finding.reason


def test_submit_written_outside_code_is_template_confusion(store, tmp_path):
    _, events = _stored_run(store, tmp_path, "submit", ["I am done: SUBMIT('7731')", repl("SUBMIT('7731')")])
    findings = [f for f in detect_failure_modes(events) if f.kind == "final_confusion"]
    assert len(findings) == 1 and "outside a ```repl block" in findings[0].reason
    assert findings[0].nodes == [next(e.node_id for e in events if e.kind == "model_call_started")]


def test_content_set_but_never_ready_is_an_answer_discarded(store, tmp_path):
    result, events = _stored_run(store, tmp_path, "answer-dict", [repl("answer['content'] = 'code 7731'")] * 2,
                                 max_iterations=2)
    assert result.answer is None
    [finding] = [f for f in detect_failure_modes(events) if f.kind == "answer_discarded"]
    assert "'code 7731'" in finding.reason and 'answer["ready"] was never set' in finding.reason


def test_a_variable_name_given_as_the_submitted_answer_is_confusion(store, tmp_path):
    _, events = _stored_run(store, tmp_path, "submit", [repl("total = 7731\nSUBMIT('total')")])
    [finding] = [f for f in detect_failure_modes(events) if f.kind == "final_confusion"]
    assert "SUBMIT was given the text \"total\"" in finding.reason
