"""The window's Analysis, Replay and Compare tabs, fed from the history."""

from tests.ui.ui_helpers import run_coro, sales_document, sales_scripts


def _two_runs(window, qloop, tmp_path):
    ids = []
    for parts in (4, 6):
        folder = tmp_path / f"r{parts}"
        folder.mkdir()
        window.new_run.clear_documents()
        window.new_run.add_pasted(sales_document(folder, parts=parts).read_text())
        root, sub = sales_scripts(folder, parts=parts)
        window.new_run.question.setPlainText("How many sales in total?")
        window.new_run.root_model.set_spec(root)
        window.new_run.sub_model.set_spec(sub)
        result = run_coro(qloop, window.run_once())
        assert result.status == "completed"
        ids.append(result.run_id)
    return ids


def test_analysis_replay_and_compare_from_the_history(window, qloop, tmp_path):
    first, second = _two_runs(window, qloop, tmp_path)
    # analysis of the run just finished, built when its tab is shown
    window.tabs.setCurrentWidget(window.analysis)
    assert window.analysis.charts.series, "the charts got the run's iterations"
    assert window.run_model.findings is not None            # detected and saved when the run ended
    assert [k for k, _, _ in window.analysis.findings.findings] == [f["kind"] for f in window.run_model.findings]
    assert window.store.findings(second) == window.run_model.findings
    # replay the first run from the history
    history = window.history
    history.select_run(first)
    history.replay_button.click()
    assert window.tabs.currentWidget() is window.replay_view
    assert window.replay_view.replay is not None and window.replay_view.replay.events[0].run_id == first
    # compare both: select them in the list, press Compare
    history.runs.clearSelection()
    for i in range(history.runs.topLevelItemCount()):
        history.runs.topLevelItem(i).setSelected(True)
    history.compare_button.click()
    assert window.tabs.currentWidget() is window.compare_view
    assert set(window.compare_view.run_ids) == {first, second}
    assert window.compare_view.rows and any(row.differs for row in window.compare_view.rows)


def test_compare_needs_two_runs(window, qloop, tmp_path):
    window.compare_runs(["only-one"])
    assert "two or more runs" in window.statusBar().currentMessage()


def test_compared_runs_of_the_same_model_are_told_apart(window, qloop, tmp_path):
    root, sub = sales_scripts(tmp_path, parts=3)
    ids = []
    for _ in range(2):
        window.new_run.clear_documents()
        window.new_run.add_pasted(sales_document(tmp_path, parts=3).read_text())
        window.new_run.question.setPlainText("How many sales in total?")
        window.new_run.root_model.set_spec(root)
        window.new_run.sub_model.set_spec(sub)
        ids.append(run_coro(qloop, window.run_once()).run_id)
    assert window.compare_runs(ids)
    labels = window.compare_view.labels
    assert len(set(labels)) == 2 and all(run_id in label for run_id, label in zip(ids, labels, strict=True))
    assert all("script:root.json · " in label for label in labels)  # the script's file name, not its whole path
