"""The app's run model without Qt: OpenRun (events, tree, findings, links, isolation, warnings) and what
observers hear, the header's and status bar's summary and text, and the chart figures. Real recorded runs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from rlm_studio.analysis.chart_figures import call_readout, legend, run_charts
from rlm_studio.analysis.findings import detect_and_save_findings, detect_findings
from rlm_studio.analysis.open_run import OpenRun, RunLink
from rlm_studio.analysis.run_summary import summarize
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.settings import RunSettings
from rlm_studio.storage import Store
from rlm_studio.ui.header_text import header_text, lineage_html, status_line
from tests.engine.scripts import repl, run_session, script


@pytest.fixture(scope="module")
def child_run(tmp_path_factory):
    """Iteration 1: two sub-calls in a batch and a child run (depth 1); iteration 2 answers."""
    folder = tmp_path_factory.mktemp("open-run")
    sub = script(folder, "sub", responses=["7", "7"], delay_ms=30)
    root = script(folder, "root", rules=[   # the child run asks the root model too
        {"match": "Question: child question", "content": repl("FINAL('inner')")},
        {"match": "inner", "content": repl("FINAL('done')", "Done.")},
        {"match": "Question: Count", "content": repl(
            "a = llm_query_batched(['one', 'two'])\nb = rlm_query('child question')\nprint(a, b)")},
    ])
    result, events = run_session("Count?", "some context", RunSettings(root_model=root, sub_model=sub, max_depth=2))
    assert result.status == "completed" and result.answer == "done"
    return result, events


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("open-run-fail")
    root = script(folder, "root", responses=["No code here.", repl("x = 1/0"), repl("y = 1/0"), repl("z = 1/0")])
    result, events = run_session("x?", "ctx", RunSettings(root_model=root, max_iterations=4))
    assert result.status == "limit_hit"
    return events


def test_the_run_model_does_not_import_qt():
    code = ("import sys\nimport rlm_studio.analysis.open_run, rlm_studio.analysis.run_summary, "
            "rlm_studio.analysis.chart_figures, rlm_studio.analysis.findings, rlm_studio.ui.header_text\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'pyqtgraph')]\n"
            "print(bad)\nsys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_live_and_stored_give_the_same_run_and_observers_hear_once_per_batch(child_run):
    _result, events = child_run
    live = OpenRun()
    heard: list[str] = []
    stop = live.observe(heard.append)
    live.reset(running=True)
    changes = [live.apply(e) for e in events]
    assert heard == ["reset"]                                  # applying alone announces nothing
    live.publish()
    live.publish()                                             # nothing new: no second notice
    assert heard == ["reset", "events"]
    stored = OpenRun.from_events([e.to_dict() if hasattr(e, "to_dict") else e for e in events])
    assert live.tree.same_as(stored.tree) and live.tree.same_as(RunTree.from_events(events))
    assert [c.kind for c in changes if c is not None].count("inserted") == len(stored.tree)
    assert len(live) == len(stored) == len([e for e in events if not e.ephemeral])
    assert live.root_started.question == "Count?" and live.root_finished.status == "completed"
    stop()
    live.set_running(False)
    assert heard == ["reset", "events"]                        # stopped observing


def test_reset_takes_another_run_and_keeps_the_observers(child_run, failing_run):
    _result, events = child_run
    shown = OpenRun()
    heard: list[str] = []
    shown.observe(heard.append)
    built = OpenRun.from_events(failing_run, "run-b")
    built.set_findings(detect_findings(failing_run))
    built.set_links(RunLink("run-a", "The parent", 2), [RunLink("run-c", "A fork", 3)])
    shown.reset(built)
    assert heard == ["reset"] and shown.run_id == "run-b"
    assert [f["kind"] for f in shown.findings] == ["repeated_errors", "iteration_limit", "no_code"]
    assert shown.parent == RunLink("run-a", "The parent", 2) and shown.forks[0].run_id == "run-c"
    shown.set_findings([])
    assert heard == ["reset", "findings"] and built.findings != []   # the built object is not shared state
    shown.reset(OpenRun.from_events(events))
    assert shown.findings is None and shown.parent is None and shown.app_warnings == []


def test_app_warnings_last_until_another_run_opens(child_run):
    _result, events = child_run
    run = OpenRun()
    run.reset(running=True)
    for event in events[:5]:
        run.apply(event)
    heard: list[str] = []
    run.observe(heard.append)
    run.add_warning("Storing the run failed: the database is locked.")
    run.add_warning("Storing the run failed: the database is locked.")   # once only
    for event in events[5:]:
        run.apply(event)
    run.publish()
    run.set_running(False)
    assert heard == ["warnings", "events", "state"]
    assert run.warnings[-1] == "Storing the run failed: the database is locked."
    summary = summarize(run)
    assert summary is not None and "database is locked" in header_text(summary, running=False).sandbox
    run.reset()
    assert run.warnings == [] and summarize(run) is None


def test_summary_counts_come_from_the_tree_totals(child_run):
    result, events = child_run
    run = OpenRun.from_events(events)
    summary = summarize(run)
    totals = run.tree.totals(run.root_id)
    assert summary.totals == totals
    figures = summary.figures()
    assert figures["subcalls"] == totals.subcalls and figures["child_runs"] == totals.child_runs == 1
    assert figures["iterations"] == 2 and figures["max_depth"] == 1
    assert figures["input_tokens"] == totals.input_tokens > 0
    assert summary.status == "completed" and summary.answer == "done" and summary.isolation in ("bwrap", "process")
    text = header_text(summary, running=False)
    assert "Answer:</b> done" in text.answer
    assert f"<b>Sub-calls</b> {totals.subcalls}" in text.totals and "<b>Child runs</b> 1" in text.totals
    line = status_line(summary, running=False)
    assert line.startswith("Completed · iteration 2 · ") and line.endswith(f"{totals.subcalls} sub-calls")


def test_a_stored_unfinished_run_is_timed_to_its_last_event_and_isolation_falls_back(child_run):
    _result, events = child_run
    cut = [e for e in events if e.kind != "run_finished" or e.parent_id]
    run = OpenRun.from_events(cut[:-1])
    summary = summarize(run)
    assert not summary.finished and summary.elapsed_s == pytest.approx(run.events[-1].ts - run.events[0].ts)
    assert "Not finished" in header_text(summary, running=False).answer
    assert "Running…" in header_text(summary, running=True).answer
    assert events[0].kind == "run_started"
    bare = OpenRun.from_events([dataclasses.replace(events[0], isolation="")])   # an older run: not recorded
    assert bare.isolation == "" and "not recorded" in header_text(summarize(bare), running=False).sandbox
    bare.set_isolation("process")
    assert bare.isolation == "process" and "no filesystem or network isolation" in header_text(
        summarize(bare), running=False).sandbox


def test_fork_iteration_accepts_root_iterations_their_calls_and_cells_only(child_run):
    _result, events = child_run
    run = OpenRun.from_events(events)
    tree = run.tree
    first, second = run.root_iterations()
    assert run.fork_iteration(first) == 1 and run.fork_iteration(second) == 2
    cell = next(c for c in tree.children(first) if tree.node(c).kind == "cell")
    call = next(c for c in tree.children(first) if tree.node(c).kind == "model_call")
    assert run.fork_iteration(cell) == 1 and run.fork_iteration(call) == 1
    child = next(n for n in tree.walk() if tree.node(n).kind == "run" and tree.node(n).depth == 1)
    child_iteration = next(c for c in tree.children(child) if tree.node(c).kind == "iteration")
    subcall = next(n for n in tree.walk() if tree.node(n).kind == "subcall")
    for node in (run.root_id, child, child_iteration, subcall, "nope", None):
        assert run.fork_iteration(node) is None


def test_findings_are_detected_and_saved_by_one_function(failing_run, tmp_path):
    store = Store.open(str(tmp_path / "runs.db"))
    try:
        run_id = failing_run[0].run_id
        store.ingest_events(failing_run)
        assert store.get_run(run_id)["findings_computed"] is False
        findings = detect_and_save_findings(store, run_id, failing_run)
        assert findings == detect_findings(failing_run) and findings
        assert store.findings(run_id) == findings
        assert [r["id"] for r in store.list_runs(finding="repeated_errors")] == [run_id]
        assert detect_and_save_findings(None, run_id, failing_run) == findings   # no store: detect only
    finally:
        store.close()


def test_header_links_and_chart_figures(child_run):
    _result, events = child_run
    links = lineage_html(RunLink("p1", "Parent <run>", 2), [RunLink("f1", "first\nsecond line"), RunLink("f2", "")])
    assert "href='run:p1'" in links and "Parent &lt;run&gt;" in links and "at iteration 2" in links
    assert ">first</a>" in links and "(untitled run)" in links
    assert lineage_html(None, []) == ""
    charts = run_charts(OpenRun.from_events(events))
    assert charts.subcalls.totals == [float(charts.series[0]["subcalls"]), 0.0]
    assert charts.waterfall.lanes >= 2                        # the batch ran its two calls at once
    names = [n for n, _ in legend(charts.waterfall)]
    assert "child root" in names and "child sub-call" in names   # the child run's calls have their own colours
    bar = next(b for b in charts.waterfall.bars if b["depth"] == 1)
    assert "depth 1" in call_readout(bar)
    mid = (bar["start_s"] + bar["end_s"]) / 2
    assert charts.waterfall.bar_at(mid, bar["lane"]) is bar
    assert charts.waterfall.bar_at(mid, bar["lane"] + 0.5) is None
    assert charts.tokens.readout(0).startswith("Iteration 1\ninput: ")
    with pytest.raises(ValueError, match="no run to chart"):
        run_charts(OpenRun())
