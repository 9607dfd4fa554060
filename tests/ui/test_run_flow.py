"""The whole flow with scripted models: load a document, run, watch the tree fill, inspect a cell."""

from rlm_studio.ui.tree_model import COL_STATUS, KIND_ROLE, NODE_ID_ROLE
from tests.ui.ui_helpers import run_coro, sales_document, sales_scripts


def _all_indexes(model, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        yield index
        yield from _all_indexes(model, index)


def test_whole_flow_with_scripted_models(window, qtbot, qloop, tmp_path):
    panel = window.new_run
    panel.load_paths([sales_document(tmp_path)])
    qtbot.waitUntil(lambda: len(panel.documents) == 1, timeout=5000)
    assert panel.doc_table.item(0, 0).text() == "sales.txt"
    assert int(panel.doc_table.item(0, 2).text().replace(",", "")) == panel.documents[0].chars
    assert "Total:" in panel.total_label.text() and "tokens" in panel.total_label.text()
    root, sub = sales_scripts(tmp_path, delay_ms=120)  # slower than one 40 ms UI batch, so the tree grows in steps
    panel.question.setPlainText("How many sales in total?")
    panel.root_model.set_spec(root)
    panel.sub_model.set_spec(sub)

    inserted = []  # (rows announced, nodes in the tree at that moment)
    window.run_view.model.rowsInserted.connect(
        lambda parent, first, last: inserted.append((last - first + 1, len(window.run_view.model.tree))))
    result = run_coro(qloop, window.run_once(), timeout=60)
    assert result is not None and result.status == "completed", window.new_run.run_message.text()
    assert result.answer == "21 sales"
    view = window.run_view
    tree = view.model.tree
    # the tree grew while the run went on (in batches), and the view shows every node of the tree
    assert len(inserted) >= 2 and inserted[0][1] < len(tree)
    shown = view.tree_view.model()   # the tree model itself while no filter or sort is in use
    assert [shown.data(i, NODE_ID_ROLE) for i in _all_indexes(shown)] == list(tree.walk())
    assert view.model.data(view.model.index(0, COL_STATUS)) == "completed"

    # select the code cell that made the sub-calls: its highlighted code and its output appear
    cell = next(i for i in _all_indexes(shown) if shown.data(i, KIND_ROLE) == "cell")
    view.tree_view.setCurrentIndex(cell)
    html = view.detail.toHtml()
    assert "llm_query_batched" in view.detail.toPlainText()
    assert "total 21" in view.detail.toPlainText()
    assert "color:#" in html.replace(" ", "")  # pygments colours made it into the pane
    assert view.selected_node == shown.data(cell, NODE_ID_ROLE)

    # header totals match the events
    events = view.index.events
    subcalls = [e for e in events if e.kind == "subcall_finished"]
    calls = [e for e in events if e.kind in ("model_call_finished", "subcall_finished")]
    figures = view.header.figures
    assert figures["subcalls"] == len(subcalls) == 6
    assert figures["input_tokens"] == sum(e.usage["input_tokens"] for e in calls)
    assert figures["output_tokens"] == sum(e.usage["output_tokens"] for e in calls)
    assert figures["iterations"] == len([e for e in events if e.kind == "iteration_started"]) == 2
    assert "21 sales" in view.header.answer.text()
    assert f"{figures['input_tokens']:,}" in view.header.totals.text()

    status = window.run_status.text()
    assert "iteration 2" in status and "6 sub-calls" in status and "$" in status

    # the run was stored; opening it from the history rebuilds the same tree
    window.history.refresh()
    assert window.history.runs.topLevelItemCount() == 1
    structure = tree.structure()
    assert window.open_run(result.run_id)
    assert view.model.tree.structure() == structure
    assert view.header.figures["subcalls"] == 6


def test_stop_mid_run_keeps_what_ran(window, qtbot, qloop, tmp_path):
    import asyncio

    panel = window.new_run
    panel.add_pasted(sales_document(tmp_path, parts=12).read_text())
    root, sub = sales_scripts(tmp_path, parts=12, delay_ms=400)
    panel.question.setPlainText("How many sales in total?")
    panel.root_model.set_spec(root)
    panel.sub_model.set_spec(sub)
    window.app_settings.batch_concurrency = 2

    async def run_and_stop():
        task = asyncio.ensure_future(window.run_once())
        while not [e for e in window.run_view.index.events if e.kind == "subcall_finished" and not e.error]:
            await asyncio.sleep(0.05)
        window.stop_action.trigger()
        return await task

    result = run_coro(qloop, run_and_stop(), timeout=60)
    assert result.status == "cancelled"
    events = window.run_view.index.events
    answered = [e for e in events if e.kind == "subcall_finished" and not e.error]
    stopped = [e for e in events if e.kind == "subcall_finished" and e.error]
    assert 1 <= len(answered) < 12 and len(answered) + len(stopped) == 12
    assert all(e.error["kind"] == "cancelled" for e in stopped)
    tree = window.run_view.model.tree  # a stopped call is 'cancelled' in the tree, not an error
    statuses = [tree.node(n).status for n in tree.walk() if tree.node(n).kind == "subcall"]
    assert statuses.count("cancelled") == len(stopped) and "error" not in statuses
    assert "stopped" in window.run_view.header.answer.text().lower()
    stored = window.store.load_events(result.run_id)
    assert [e.seq for e in stored] == [e.seq for e in window.run_view.index.events]


def test_model_pickers_offer_configured_providers_and_keep_free_text(window, qloop, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")
    run_coro(qloop, window._fill_model_choices(), timeout=30)
    picker = window.new_run.root_model
    items = [picker.itemText(i) for i in range(picker.count())]
    assert items[0] == "bundled" and "gpt-5-mini" in items
    picker.set_spec("anthropic/claude-sonnet-4-5")
    assert picker.spec() == "anthropic/claude-sonnet-4-5"
    assert window.new_run.sub_model.itemText(0) == "(same as root model)"
