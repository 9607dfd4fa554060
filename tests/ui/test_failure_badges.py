"""Findings (failure-mode badges) over a real run that goes wrong: shown with their reasons, clicks point at nodes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rlm_studio.analysis.detectors import Finding
from rlm_studio.analysis.failure_modes import detect_failure_modes
from rlm_studio.analysis.findings import detect_findings
from rlm_studio.engine.settings import RunSettings
from rlm_studio.ui.failure_badges import KIND_STYLES, FindingsList, kind_colour, kind_title
from rlm_studio.ui.run_view import RunView
from tests.engine.scripts import repl, run_session, script


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    """No code in iteration 1, the same error three times, then the iteration limit."""
    folder = tmp_path_factory.mktemp("failures")
    root = script(folder, "root", responses=[
        "I will think about it first.",
        repl("x = 1/0"), repl("y = 1/0"), repl("z = 1/0"),
    ])
    result, events = run_session("What is x?", "ctx", RunSettings(root_model=root, max_iterations=4))
    assert result.status == "limit_hit"
    return events


@pytest.fixture
def failures(qtbot):
    widget = FindingsList()
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    return widget


def test_findings_of_a_real_run_are_listed_with_badges_and_reasons(qtbot, failures, failing_run):
    failures.set_findings(detect_findings(failing_run))
    kinds = [kind for kind, _, _ in failures.findings]
    assert kinds == ["repeated_errors", "iteration_limit", "no_code"]
    assert failures.findings == [(f.kind, f.reason, f.nodes) for f in detect_failure_modes(failing_run)]
    row = failures.rows[0]
    assert row.badge.text() == "Repeated errors" and "ZeroDivisionError" in row.reason_label.text()
    assert KIND_STYLES["repeated_errors"][1] in row.badge.styleSheet()
    assert row.where.text() == "3 nodes"
    assert "3 possible failure modes" in failures.title.text() and failures.empty.isHidden()
    failures.show()
    qtbot.waitExposed(failures)
    assert not failures.grab().isNull()


def test_clicking_a_finding_walks_through_its_nodes(qtbot, failures, failing_run):
    failures.set_findings(detect_findings(failing_run))
    row = failures.rows[0]
    seen = []
    failures.node_activated.connect(seen.append)
    for _ in range(4):
        qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert seen == [*row.nodes, row.nodes[0]]            # one node per click, then round again
    assert row.where.text() == "node 1 of 3"
    with qtbot.waitSignal(failures.node_activated) as signal:
        failures.rows[1].setFocus()
        qtbot.keyClick(failures.rows[1], Qt.Key.Key_Return)
    assert signal.args == [failures.rows[1].nodes[0]]


def test_activating_a_finding_selects_its_node_in_the_run_tree(qtbot, failures, failing_run):
    view = RunView()
    qtbot.addWidget(view)
    view.show_events(failing_run)
    failures.node_activated.connect(view.select_node)
    failures.set_findings(detect_findings(failing_run))
    no_code = [r.kind for r in failures.rows].index("no_code")
    target = failures.activate(no_code)
    assert view.selected_node == target
    assert view.model.tree.node(target).kind == "iteration"


def test_no_findings_and_findings_given_as_dicts(failures):
    failures.set_findings([])
    assert failures.rows == [] and not failures.empty.isHidden()
    failures.set_findings([{"kind": "over_subcalling", "reason": "Too many.", "nodes": ["a"]},
                           Finding("something_new", "A detector this app does not know yet.")])
    assert [r.badge.text() for r in failures.rows] == ["Over-subcalling", "Something new"]
    assert failures.activate(1) is None                  # a finding about the run as a whole
    assert failures.activate(0) == "a"
    assert kind_title("no_code") == "No code" and kind_colour("nope") == "#616161"
    with pytest.raises(ValueError, match="needs a kind"):
        failures.set_findings([{"reason": "no kind"}])
