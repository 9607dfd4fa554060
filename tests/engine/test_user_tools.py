"""User tools in the REPL: read with ast in the host, executed only inside the real sandbox worker."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3

import pytest

from rlm_studio.engine.settings import RunSettings
from rlm_studio.engine.tools import ToolsError, check_tools, load_tools
from rlm_studio.storage import Store

from ..cli.test_cli_run import cli
from .scripts import kinds, repl, run_session, script

TOOLS = '''
import os

PID_AT_IMPORT = os.getpid()


def count_word(text: str, word: str) -> int:
    """Count whole-word occurrences of `word` in `text`."""
    return text.split().count(word)


def where_am_i() -> dict:
    """Where the tool runs: its process id and whether HOME is visible."""
    return {"pid": os.getpid(), "home": os.environ.get("HOME")}


def ask_about(piece: str) -> str:
    """Ask the sub-model about a piece of text."""
    return llm_query("about: " + piece)


def _helper():
    return 1
'''


HOME = os.path.expanduser("~")


@pytest.fixture
def tools_file(tmp_path):
    path = tmp_path / "mytools.py"
    path.write_text(TOOLS)
    return path


def test_the_host_lists_tools_without_running_them(tmp_path):
    path = tmp_path / "t.py"
    path.write_text("raise SystemExit('imported in the host!')\n\ndef f(a, b=2) -> int:\n    'Add.'\n    return a + b\n")
    (tool,) = load_tools(path)
    assert tool["functions"] == [{"name": "f", "signature": "f(a, b=2) -> int", "doc": "Add."}]
    assert len(tool["sha256"]) == 64 and tool["source"] == path.read_text()


def test_tools_run_in_the_sandbox_are_in_the_prompt_and_saved_with_the_run(tmp_path, tools_file):
    root = script(tmp_path, "root", responses=[
        repl("n = count_word(context, 'apple')\nw = where_am_i()\nprint(n, w['pid'] != HOST_PID, w['home'] == HOST_HOME)\n"
             "print(ask_about('x'))".replace("HOST_PID", str(os.getpid())).replace("HOST_HOME", repr(HOME))),
        repl("FINAL(str(n))"),
    ])
    sub = script(tmp_path, "sub", responses=["sub says hi"])
    settings = RunSettings(root_model=root, sub_model=sub, tools=load_tools(tools_file))
    result, events = run_session("How many apples?", "apple pear apple plum apple", settings)
    assert result.status == "completed" and result.answer == "3"
    cell = kinds(events, "cell_finished")[0]
    assert cell.error is None, cell.error
    assert cell.stdout.splitlines() == ["3 True False", "sub says hi"]  # another process, not the user's HOME
    started = kinds(events, "run_started")[0]
    assert "`count_word(text: str, word: str) -> int`: Count whole-word occurrences" in started.system_prompt
    assert "_helper" not in started.system_prompt
    assert started.settings["tools"][0]["source"] == TOOLS
    assert [s.prompt for s in kinds(events, "subcall_started")] == ["about: x"]
    names = {v["name"] for v in cell.variables}
    assert {"n", "w", "count_word"} <= names and "PID_AT_IMPORT" not in names and "os" not in names


def test_tools_are_loaded_again_after_the_worker_dies(tmp_path, tools_file):
    root = script(tmp_path, "root", responses=[
        repl("import os\nos.kill(os.getpid(), 9)"),
        repl("FINAL(str(count_word(context, 'pear')))"),
    ])
    result, events = run_session("How many pears?", "apple pear", RunSettings(root_model=root,
                                                                              tools=load_tools(tools_file)))
    assert kinds(events, "cell_finished")[0].crashed
    assert result.status == "completed" and result.answer == "1"


def test_a_tools_file_that_fails_to_import_is_refused_before_the_run(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy_that_is_not_there\n\ndef f():\n    return 1\n")
    tools = load_tools(bad)
    with pytest.raises(ToolsError, match="fail to load in the sandbox: ModuleNotFoundError: .*numpy_that_is_not_there"):
        asyncio.run(check_tools(tools))
    asyncio.run(check_tools(load_tools(tmp_path / "bad.py") and []))  # no tools: nothing to check


@pytest.mark.parametrize("content, message", [
    ("def f(:\n", "syntax error on line 1"),
    ("x = 1\n", "defines no public function"),
    ("def llm_query(p):\n    return p\n", "reserves"),
])
def test_bad_tool_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "t.py"
    path.write_text(content)
    with pytest.raises(ToolsError, match=message):
        load_tools(path)


def test_cli_run_with_tools_and_a_folder(tmp_path, tools_file):
    folder = tmp_path / "toolbox"
    folder.mkdir()
    (folder / "a.py").write_text(TOOLS)
    (folder / "b.py").write_text("def shout(s):\n    'Upper-case.'\n    return s.upper()\n")
    doc = tmp_path / "doc.txt"
    doc.write_text("apple apple kiwi")
    root = script(tmp_path, "root", responses=[repl("FINAL(shout('x') + str(count_word(context, 'apple')))")])
    db = tmp_path / "r.db"
    out = cli("run", "-c", str(doc), "-q", "q?", "--root-model", root, "--tools", str(folder), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "X2"
    again = cli("run", "-c", str(doc), "-q", "q again?", "--root-model", root, "--tools", str(folder), "--db", str(db))
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(db) as conn:
        payloads = [json.loads(p) for (p,) in conn.execute("select payload from events where kind = 'run_started'")]
        source_hash = payloads[0]["settings"]["tools"][0]["$source"]  # stored by content, not inline
        blob_rows = conn.execute("select count(*) from blobs where hash = ?", (source_hash,)).fetchone()[0]
    assert [[t["name"] for t in p["settings"]["tools"]] for p in payloads] == [["a.py", "b.py"]] * 2
    assert payloads[1]["settings"]["tools"][0]["$source"] == source_hash and blob_rows == 1  # one copy for both runs
    with Store.open(db) as store:
        run_id = store.list_runs()[0]["id"]
        started = store.load_events(run_id)[0]
    assert started.settings["tools"][0]["source"] == TOOLS


def test_cli_refuses_tools_that_fail_to_import_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('broken on purpose')\n\ndef f():\n    return 1\n")
    doc = tmp_path / "doc.txt"
    doc.write_text("x")
    db = tmp_path / "r.db"
    out = cli("run", "-c", str(doc), "-q", "q?", "--root-model", script(tmp_path, "r", responses=["FINAL(1)"]),
              "--tools", str(bad), "--db", str(db))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "rlm-studio run: error: the tools (bad.py) fail to load in the sandbox: RuntimeError: broken on purpose"]
    assert not db.exists() or sqlite3.connect(db).execute("select count(*) from runs").fetchone()[0] == 0
    missing = cli("run", "-c", str(doc), "-q", "q?", "--tools", str(tmp_path / "nope.py"), "--no-db")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_reexecution_and_fork_of_a_stored_run_find_its_tools_and_protocol(tmp_path, tools_file):
    from rlm_studio.analysis.reexecute import cell_differences, reexecute
    from rlm_studio.engine.fork import plan_fork
    from rlm_studio.engine.session import RlmSession

    root = script(tmp_path, "root", responses=[repl("n = count_word(context, 'apple')\nprint(n)"),
                                               repl("SUBMIT(str(n))")])
    settings = RunSettings(root_model=root, tools=load_tools(tools_file), answer_protocol="submit")
    _, events = run_session("How many apples?", "apple pear apple", settings)
    with Store.open(tmp_path / "r.db") as store:
        store.ingest_events(events)
        stored = store.load_events(events[0].run_id)
    tools_file.unlink()                           # the run carries its tools: the file is no longer needed
    again, new_events = asyncio.run(reexecute(stored))
    assert again.answer == "2" and cell_differences(stored, new_events) == []
    assert kinds(new_events, "final_answer")[0].via == "SUBMIT"

    fork_events: list = []
    plan = plan_fork(stored, 2)
    plan.settings.root_model = script(tmp_path, "fork", responses=[repl("SUBMIT(str(n * 10))")])

    async def go():
        return await RlmSession.from_fork(plan, sinks=[fork_events.append]).run()

    assert asyncio.run(go()).answer == "20"
