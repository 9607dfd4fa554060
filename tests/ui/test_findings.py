"""Failure-mode badges: stored when a run ends (or is first opened), shown in the history and the tree."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from rlm_studio.ui.failure_badges import kind_colour
from rlm_studio.ui.history_panel import COL_FINDINGS
from tests.ui.ui_helpers import repl, run_coro, run_sales, write_script


def _failing_root(folder):
    """A root model that divides by zero three times: repeated errors, then the iteration limit."""
    return write_script(folder, "failing", responses=[repl("print(1/0)", f"Attempt {n}.") for n in range(3)])


def _history_items(history):
    return {history.runs.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole): history.runs.topLevelItem(i)
            for i in range(history.runs.topLevelItemCount())}


def _filter_by(history, kind):
    history.finding.setCurrentIndex(history.finding.findData(kind))
    history.refresh()
    return set(_history_items(history))


def test_badges_filter_and_node_markers(window, qtbot, qloop, tmp_path, qtmodeltester):
    panel = window.new_run
    clean = run_sales(window, qloop, tmp_path)
    assert clean.status == "completed"
    panel.root_model.set_spec(_failing_root(tmp_path))
    panel.iterations.setValue(3)
    bad = run_coro(qloop, window.run_once(), timeout=60)
    assert bad.status == "limit_hit" and bad.limit == "max_iterations"

    # stored when the run ended
    store = window.store
    assert set(store.get_run(bad.run_id)["finding_kinds"]) == {"repeated_errors", "iteration_limit"}
    assert store.get_run(clean.run_id)["finding_kinds"] == [] and store.get_run(clean.run_id)["findings_computed"]

    # history: badges (coloured dots + titles) with the reasons in the tooltip; none on the clean run
    items = _history_items(window.history)
    flagged, plain = items[bad.run_id], items[clean.run_id]
    assert not flagged.icon(0).isNull() and plain.icon(0).isNull()
    assert "Repeated errors" in flagged.text(COL_FINDINGS) and "Iteration limit" in flagged.text(COL_FINDINGS)
    assert "3 consecutive cells failed" in flagged.toolTip(COL_FINDINGS)
    assert "ZeroDivisionError" in flagged.toolTip(0)
    assert plain.text(COL_FINDINGS) == ""

    # the failure-mode filter selects the failing run and not the clean one
    assert _filter_by(window.history, "repeated_errors") == {bad.run_id}
    assert _filter_by(window.history, "iteration_limit") == {bad.run_id}
    assert _filter_by(window.history, "no_code") == set()
    assert "No runs match" in window.history.message.text()
    assert _filter_by(window.history, "") == {bad.run_id, clean.run_id}

    # the open (failing) run's tree marks the named nodes with the badge colour and the reason
    model = window.run_view.model
    findings = {f["kind"]: f for f in store.findings(bad.run_id)}
    cells = findings["repeated_errors"]["nodes"]
    assert len(cells) == 3 and all(model.tree.node(c).kind == "cell" for c in cells)
    for cell in cells:
        index = model.index_of(cell)
        assert model.data(index, Qt.ItemDataRole.DecorationRole) == QColor(kind_colour("repeated_errors"))
        assert "⚑ Repeated errors: 3 consecutive cells failed" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    root_index = model.index_of(model.tree.root_id)
    assert findings["iteration_limit"]["nodes"] == [model.tree.root_id]
    assert model.data(root_index, Qt.ItemDataRole.DecorationRole) == QColor(kind_colour("iteration_limit"))
    iteration = model.tree.children(model.tree.root_id)[0]
    assert model.data(model.index_of(iteration), Qt.ItemDataRole.DecorationRole) is None
    assert model.data(model.index_of(cells[0], 1), Qt.ItemDataRole.DecorationRole) is None
    qtmodeltester.check(model)

    # the Analysis tab shows the stored findings
    window.tabs.setCurrentWidget(window.analysis)
    assert {k for k, _, _ in window.analysis.findings.findings} == {"repeated_errors", "iteration_limit"}

    # opening the clean run clears the markers
    assert window.open_run(clean.run_id)
    assert all(model.data(model.index_of(n), Qt.ItemDataRole.DecorationRole) is None for n in model.tree.walk())


def test_runs_never_checked_are_flagged_when_opened_with_the_set_thresholds(window, qtbot, qloop, tmp_path):
    from rlm_studio.engine import RlmSession, RunSettings
    from rlm_studio.ui.app_settings import load_settings
    from rlm_studio.ui.settings_dialog import SettingsDialog

    # a run stored without the app (as an import or an older version would): no findings yet
    store = window.store
    session = RlmSession("Divide?", "some context", RunSettings(root_model=_failing_root(tmp_path), max_iterations=3))
    writer = store.writer(session.run_id)
    session.add_sink(writer.append)
    result = run_coro(qloop, session.run(), timeout=30)
    writer.close()
    assert result.status == "limit_hit"
    assert store.get_run(result.run_id)["findings_computed"] is False
    window.history.refresh()
    assert _history_items(window.history)[result.run_id].icon(0).isNull()

    # Settings → Failure modes: five equal errors in a row before "repeated errors" fires
    dialog = SettingsDialog(window.app_settings, window)
    assert dialog.threshold_fields["repeated_error_count"].value() == 3
    dialog.threshold_fields["repeated_error_count"].setValue(5)
    dialog.accept()
    assert dialog.error.text() == ""
    window.app_settings = dialog.settings
    window._save_settings()
    assert load_settings()[0].failure_thresholds == {"repeated_error_count": 5}

    assert window.open_run(result.run_id)
    info = store.get_run(result.run_id)
    assert info["findings_computed"] and info["finding_kinds"] == ["iteration_limit"]
    item = _history_items(window.history)[result.run_id]
    assert not item.icon(0).isNull() and item.text(COL_FINDINGS) == "Iteration limit"
