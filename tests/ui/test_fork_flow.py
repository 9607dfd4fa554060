"""Fork a finished run from the app: the Fork dialog, a live fork run, the links between both runs."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from rlm_studio.ui.tree_model import KIND_ROLE, NODE_ID_ROLE
from tests.ui.ui_helpers import repl, run_coro, run_sales, sales_document, sales_scripts, wait_on_loop


def _nodes(view, kind):
    tree = view.model.tree
    return [n for n in tree.walk() if tree.node(n).kind == kind]


def _root_iterations(view):
    tree = view.model.tree
    return [c for c in tree.children(tree.root_id) if tree.node(c).kind == "iteration"]


def test_fork_from_second_iteration_with_an_edited_response(window, qtbot, qloop, tmp_path):
    panel = window.new_run
    panel.load_paths([sales_document(tmp_path)])
    qtbot.waitUntil(lambda: len(panel.documents) == 1, timeout=5000)
    root, sub = sales_scripts(tmp_path)
    panel.question.setPlainText("How many sales in total?")
    panel.root_model.set_spec(root)
    panel.sub_model.set_spec(sub)
    parent = run_coro(qloop, window.run_once(), timeout=60)
    assert parent is not None and parent.status == "completed" and parent.answer == "21 sales"
    view = window.run_view

    # the fork button shows for iteration-level nodes only
    second = _root_iterations(view)[1]
    call = view.model.tree.children(second)[0]
    assert view.model.tree.node(call).kind == "model_call"
    view.select_node(_nodes(view, "subcall")[0])
    assert view.fork_button.isHidden()
    assert view.fork_iteration() is None
    view.select_node(call)
    assert not view.fork_button.isHidden()
    assert view.fork_iteration() == 2
    assert QKeySequence("Ctrl+Shift+F") in window.fork_action.shortcuts()

    # Ctrl+Shift+F (the Run menu's "Fork from here…") opens the dialog, prefilled from the parent
    window.activateWindow()
    view.tree_view.setFocus()
    qtbot.keyClick(view.tree_view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.open_fork_dialog is not None, timeout=3000)
    dialog = window.open_fork_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.root_model.text() == root and dialog.sub_model.text() == sub
    assert dialog.max_iterations.value() == panel.iterations.value()
    assert "FINAL_VAR('answer')" in dialog.response.toPlainText() and not dialog.response.isEnabled()
    dialog.edit_response.setChecked(True)
    dialog.response.setPlainText(repl("answer = f'{total * 2} sales, doubled'\nFINAL_VAR('answer')", "Double it."))
    dialog.max_iterations.setValue(5)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    wait_on_loop(qloop, lambda: window._last_result is not None and window._last_result.run_id != parent.run_id
                 and not window.controller.running, timeout=30)
    fork = window._last_result
    assert fork.status == "completed", window.statusBar().currentMessage()
    assert fork.answer == "42 sales, doubled"   # `total` came from the kept first iteration, re-executed
    assert window.current_run_id == fork.run_id

    # the fork's tree has the kept first iteration (with its batched sub-calls) and the edited second one
    iterations = _root_iterations(view)
    assert len(iterations) == 2
    cells = [c for c in view.model.tree.children(iterations[0]) if view.model.tree.node(c).kind == "cell"]
    assert any("llm_query_batched" in e.code for c in cells for e in view.index.for_node(c) if e.kind == "cell_started")
    assert len(_nodes(view, "subcall")) == 6
    started = view.index.root_started
    assert started.forked_from["run_id"] == parent.run_id and started.forked_from["iteration"] == 2

    # the fork's header links to the parent; the database knows the parent
    lineage = view.header.lineage
    assert not lineage.isHidden()
    assert "Forked from" in lineage.text() and f"run:{parent.run_id}" in lineage.text()
    assert "at iteration 2" in lineage.text()
    info = window.store.get_run(fork.run_id)
    assert info["parent_run_id"] == parent.run_id and info["fork_node_id"] == second

    # following the link opens the parent, whose header lists the fork
    view.header.lineage.linkActivated.emit(f"run:{parent.run_id}")
    wait_on_loop(qloop, lambda: window.current_run_id == parent.run_id)
    assert "Forks:" in view.header.lineage.text() and f"run:{fork.run_id}" in view.header.lineage.text()
    assert "at iteration 2" in view.header.lineage.text()
    assert "Forked from" not in view.header.lineage.text()


def test_fork_dialog_from_a_cell_and_the_context_menu(window, qtbot, qloop, tmp_path):
    panel = window.new_run
    parent = run_sales(window, qloop, tmp_path)
    assert parent.status == "completed"
    view = window.run_view
    cell = next(n for n in _nodes(view, "cell") if view.model.tree.parent(n) == _root_iterations(view)[0])

    # the context menu of a first-iteration cell offers a fork from iteration 1
    index = view.view_index(cell)
    view.select_node(cell)
    assert index.data(KIND_ROLE) == "cell"
    view._context_menu(view.tree_view.visualRect(index).center())
    actions = view._menu.actions()
    assert [a.text() for a in actions] == ["Fork from iteration 1…"]
    requested = []
    view.fork_requested.connect(requested.append)
    actions[0].trigger()
    qtbot.waitUntil(lambda: window.open_fork_dialog is not None, timeout=3000)
    assert requested == [index.data(NODE_ID_ROLE)]

    dialog = window.open_fork_dialog
    # bad input is refused with a message, and the dialog stays open
    dialog.root_model.setText("  ")
    dialog.accept()
    assert dialog.isVisible() and "root model" in dialog.error.text()
    dialog.root_model.setText(panel.root_model.spec())
    dialog.edit_response.setChecked(True)
    dialog.response.setPlainText("")
    dialog.accept()
    assert dialog.isVisible() and "empty" in dialog.error.text()
    dialog.edit_response.setChecked(False)
    dialog.max_subcalls.setValue(3)   # a budget below the 6 sub-calls the first iteration makes
    kwargs = dialog.settings_kwargs()
    assert kwargs["max_subcalls"] == 3 and kwargs["max_cost_usd"] is None and kwargs["root_model"] == panel.root_model.spec()
    dialog.reject()
    assert window.open_fork_dialog is None

    # the detail pane's button opens the same dialog
    assert not view.fork_button.isHidden()
    view.fork_button.click()
    qtbot.waitUntil(lambda: window.open_fork_dialog is not None, timeout=3000)
    assert "iteration <b>1</b>" in window.open_fork_dialog.findChildren(QLabel)[0].text()
    window.open_fork_dialog.reject()
    result = run_coro(qloop, window.run_fork(dialog), timeout=30)
    assert result is not None and result.status == "limit_hit" and result.limit == "max_subcalls"
    assert window.store.get_run(result.run_id)["parent_run_id"] == parent.run_id

    # a node inside a child structure (a sub-call) cannot be forked; the action says why
    view.select_node(_nodes(view, "subcall")[0])
    window.fork_action.trigger()
    assert window.open_fork_dialog is None
    assert "Select an iteration" in window.statusBar().currentMessage()
    assert Qt.WindowModality.WindowModal == dialog.windowModality()
