"""The app's Tools… picker, how the run ends, and the follow-up box under a finished run (real runs, offscreen)."""

import sqlite3

from tests.ui.ui_helpers import repl, run_coro, run_sales, wait_on_loop, write_script


def test_tools_and_the_answer_protocol_reach_the_run(window, qloop, tmp_path):
    tools = tmp_path / "tools.py"
    tools.write_text("def double(x: int) -> int:\n    'Twice x.'\n    return 2 * x\n")
    panel = window.new_run
    assert panel.extras.load_tools(tools)
    assert "double(x: int) -> int" in panel.extras.tools_label.text()
    panel.extras.set_protocol("submit")
    panel.add_pasted("some text")
    panel.question.setPlainText("Double 21?")
    panel.root_model.set_spec(write_script(tmp_path, "root", responses=[repl("SUBMIT(str(double(21)))")]))
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result is not None and result.answer == "42"
    started = window.run_model.root_started
    assert started.settings["answer_protocol"] == "submit" and "`double(x: int) -> int`: Twice x." in \
        started.system_prompt


def test_a_tools_file_that_fails_to_import_is_refused_before_the_run(window, qloop, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import not_a_module_here\n\ndef f():\n    return 1\n")
    panel = window.new_run
    assert panel.extras.load_tools(bad)          # the host only reads it
    panel.add_pasted("some text")
    panel.question.setPlainText("q?")
    panel.root_model.set_spec(write_script(tmp_path, "root", responses=[repl("FINAL(1)")]))
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result is None
    assert "fail to load in the sandbox" in panel.run_message.text()
    assert "not_a_module_here" in panel.run_message.text()
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def f(:\n")
    assert not panel.extras.load_tools(syntax) and "syntax error" in panel.extras.tools_label.text()


def test_a_follow_up_from_the_box_under_a_finished_run(window, qloop, tmp_path):
    first = run_sales(window, qloop, tmp_path)
    assert first.answer == "21 sales"
    box = window.run_view.follow_up
    assert box.isVisible() and box.turn_label.text() == ""
    run_file = tmp_path / "root.json"     # the next turn's root model answers from the rebuilt REPL
    run_file.write_text('{"responses": ["```repl\\nFINAL(str(total * 10))\\n```"]}')
    box.question.setText("And ten times that?")
    box.ask_button.click()
    wait_on_loop(qloop, lambda: window._last_result is not None and window._last_result.run_id != first.run_id
                 and not window.controller.running, timeout=60)
    second = window._last_result
    assert second.status == "completed" and second.answer == "210"
    assert box.isVisible() and box.turn_label.text() == "Turn 2"
    with sqlite3.connect(window.store.path) as conn:
        rows = conn.execute("select run_id, turn, previous_run_id from conversation_turns order by turn").fetchall()
    assert rows == [(first.run_id, 1, None), (second.run_id, 2, first.run_id)]
    history = window.history
    history.refresh()
    assert history.runs.topLevelItemCount() == 1          # the conversation is one entry...
    entry = history.runs.topLevelItem(0)
    assert entry.text(0).endswith("(2 turns)") and entry.childCount() == 1
    assert entry.child(0).text(0) == "Turn 2: And ten times that?"   # ...with its later turn under it
    history.select_run(second.run_id)
    assert history.selected_run() == second.run_id


def test_a_follow_up_with_more_documents(window, qloop, tmp_path):
    first = run_sales(window, qloop, tmp_path)
    extra = tmp_path / "returns.txt"
    extra.write_text("Returns: 4\n")
    box = window.run_view.follow_up
    box.add_files([extra])
    assert box.add_files_button.text() == "Add files… (1)"
    (tmp_path / "root.json").write_text(
        '{"responses": ["```repl\\nFINAL(str(sorted(context)) + \' \' + str(total))\\n```"]}')
    box.question.setText("With the returns file too?")
    box.ask_button.click()
    wait_on_loop(qloop, lambda: window._last_result is not None and window._last_result.run_id != first.run_id
                 and not window.controller.running, timeout=60)
    assert window._last_result.answer == "['context', 'returns.txt'] 21"
    assert box.add_files_button.text() == "Add files…" and box.more_files == []
