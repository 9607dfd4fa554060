"""The run view on its own: keyboard navigation, filter, detail pane sections, Show all, copy."""


from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication

from rlm_studio.engine.events import CellFinished, CellStarted
from rlm_studio.ui.detail_html import PREVIEW_CHARS
from rlm_studio.ui.run_view import RunView
from tests.ui.synthetic_events import synthetic_run


def _view(qtbot, events):
    view = RunView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.show_events(events)
    return view


def test_f8_j_k_walk_the_tree_in_order_into_collapsed_nodes(qtbot):
    events = synthetic_run(iterations=2, subcalls_per_cell=2, child_every=0)
    view = _view(qtbot, events)
    order = list(view.model.tree.walk())
    view.tree_view.setFocus()
    seen = []
    for _ in range(len(order)):
        view.next_node()
        seen.append(view.selected_node)
    assert seen == order
    view.previous_node()
    assert view.selected_node == order[-2]
    qtbot.keyClick(view.tree_view, Qt.Key.Key_J)
    assert view.selected_node == order[-1]
    qtbot.keyClick(view.tree_view, Qt.Key.Key_K)
    qtbot.keyClick(view.tree_view, Qt.Key.Key_K)
    assert view.selected_node == order[-3]


def test_filter_keeps_matching_nodes_and_their_ancestors(qtbot):
    view = _view(qtbot, synthetic_run(iterations=3))
    view.set_filter("chunk 2")
    shown = []

    def walk(parent):
        for row in range(view.proxy.rowCount(parent)):
            index = view.proxy.index(row, 0, parent)
            shown.append(view.model.tree.node(view.proxy.data(index, Qt.ItemDataRole.UserRole + 1)))
            walk(index)
    from PySide6.QtCore import QModelIndex
    walk(QModelIndex())
    kinds = {n.kind for n in shown}
    assert {n.summary for n in shown if n.kind == "subcall"} == {"Summarise chunk 2"}
    assert kinds == {"run", "iteration", "cell", "subcall"}
    view.set_filter("")
    assert view.proxy.rowCount(view.proxy.index(0, 0)) == len(view.model.tree.children(view.model.tree.root_id))


def test_long_output_is_cut_with_show_all_and_copy_gives_everything(qtbot):
    events = synthetic_run(iterations=1, subcalls_per_cell=0, child_every=0)
    long_out = "".join(f"line {i}\n" for i in range(3000))
    cell_done = next(e for e in events if isinstance(e, CellFinished))
    cell_done.stdout = long_out
    cell_done.error = {"type": "ValueError", "message": "bad value", "traceback": "Traceback (most recent call last):\n  ..."}
    view = _view(qtbot, events)
    cell = next(e for e in events if isinstance(e, CellStarted)).node_id
    assert view.select_node(cell)
    text = view.detail.toPlainText()
    assert "Show all" in text and "line 2999" not in text
    assert "ValueError: bad value" in text and "Traceback (most recent call last)" in text
    view.detail.anchorClicked.emit(QUrl("showall:stdout"))
    assert "line 2999" in view.detail.toPlainText()
    view.detail.anchorClicked.emit(QUrl("copy:stdout"))
    assert QGuiApplication.clipboard().text() == long_out
    assert len(long_out) > PREVIEW_CHARS


def test_model_call_messages_show_roles(qtbot):
    events = synthetic_run(iterations=1, subcalls_per_cell=0, child_every=0)
    view = _view(qtbot, events)
    call = next(e for e in events if e.kind == "model_call_started").node_id
    view.select_node(call)
    text = view.detail.toPlainText()
    assert "system" in text and "user" in text and "Response (assistant)" in text
    assert "You are an RLM." in text


def test_a_stored_10000_node_run_opens(qtbot):
    """How fast is bench_ui.py's figure ("open a stored 10,000-node run"); here, that it opens whole."""
    events = synthetic_run(iterations=100, subcalls_per_cell=48, child_every=0)
    view = RunView()
    qtbot.addWidget(view)
    view.show()
    view.show_events(events)
    QGuiApplication.processEvents()
    assert len(view.model.tree) > 5000
