import pytest
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt

from rlm_studio.analysis.tree import RunTree
from rlm_studio.ui.tree_model import (
    COL_IN,
    COL_NODE,
    COL_STATUS,
    COL_SUBTREE_COST,
    FILTER_ROLE,
    NODE_ID_ROLE,
    SORT_ROLE,
    RunTreeModel,
)
from tests.ui.synthetic_events import synthetic_run


def _walk(model, parent=QModelIndex()):
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        yield index
        yield from _walk(model, index)


def test_model_passes_qt_model_tester_while_events_stream_in(qtmodeltester, qtlog):
    model = RunTreeModel()
    qtmodeltester.check(model)
    for event in synthetic_run(iterations=4):
        model.apply(event)
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert failures == []
    qtmodeltester.check(model, force_py=True)


def test_incremental_model_matches_tree_built_at_once():
    events = synthetic_run(iterations=3)
    live = RunTreeModel()
    inserted = []
    live.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    for event in events:
        live.apply(event)
    whole = RunTree.from_events(events)
    assert len(inserted) == len(whole)  # one insert per node, one row each
    ids = [live.data(i, NODE_ID_ROLE) for i in _walk(live)]
    assert ids == list(whole.walk())
    root = live.index(0, 0)
    assert live.data(root, NODE_ID_ROLE) == whole.root_id
    assert live.data(root.siblingAtColumn(COL_STATUS)) == "completed"
    # the root's subtree cost is the sum of every priced call in the stream
    total = sum(e.cost_usd for e in events if e.kind in ("model_call_finished", "subcall_finished"))
    assert live.data(root.siblingAtColumn(COL_SUBTREE_COST), SORT_ROLE) == pytest.approx(total)


def test_updates_reach_ancestors_as_data_changed():
    events = synthetic_run(iterations=1, subcalls_per_cell=1, child_every=0)
    model = RunTreeModel()
    changed = []
    model.dataChanged.connect(lambda a, b, roles: changed.append(model.node_id(a)))
    for event in events:
        if event.kind == "subcall_finished":
            changed.clear()
            model.apply(event)
            tree = model.tree
            expected = [event.node_id, *tree.ancestors(event.node_id)]
            assert changed == expected
        else:
            model.apply(event)


def test_sorting_and_recursive_filter_through_proxy():
    model = RunTreeModel()
    for event in synthetic_run(iterations=3):
        model.apply(event)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setRecursiveFilteringEnabled(True)
    proxy.setFilterRole(FILTER_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterFixedString("chunk 3")
    matches = [proxy.data(i, FILTER_ROLE) for i in _walk(proxy)]
    assert any("Summarise chunk 3" in m for m in matches)
    assert not any("Summarise chunk 1" in m for m in matches)
    proxy.setFilterFixedString("")
    proxy.sort(COL_IN, Qt.SortOrder.DescendingOrder)
    it = proxy.index(0, 0, proxy.index(0, 0))  # children of the root run, largest input first
    first = proxy.data(it.siblingAtColumn(COL_IN), SORT_ROLE)
    second = proxy.data(proxy.index(1, COL_IN, proxy.index(0, 0)), SORT_ROLE)
    assert first >= second
    proxy.sort(COL_NODE, Qt.SortOrder.AscendingOrder)  # back to the order the nodes opened
    labels = [proxy.data(proxy.index(r, 0, proxy.index(0, 0))) for r in range(3)]
    assert [label.split(":")[0].split(" ", 1)[1] for label in labels] == ["Iteration 1", "Iteration 2", "Iteration 3"]


def test_set_tree_shows_a_stored_run_in_one_reset():
    tree = RunTree.from_events(synthetic_run(iterations=2))
    model = RunTreeModel()
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_tree(tree)
    assert resets == [1]
    assert sum(1 for _ in _walk(model)) == len(tree)


def test_deferred_updates_pass_the_model_tester_and_match_the_tree(qtmodeltester, qtlog):
    """Live runs batch inserts and changes; views must end up with exactly the tree's rows."""
    model = RunTreeModel()
    qtmodeltester.check(model)
    inserted = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append(last - first + 1))
    events = synthetic_run(iterations=4)
    for i, event in enumerate(events):
        model.apply(event, defer=True)
        if i % 7 == 0:
            model.flush()
    model.flush()
    assert not model.pending
    assert [r.message for r in qtlog.records if "FAIL" in r.message] == []
    assert 1 < len(inserted) < len(model.tree)  # batched: a new node's existing children come with it
    ids = [model.data(i, NODE_ID_ROLE) for i in _walk(model)]
    assert ids == list(model.tree.walk())
    qtmodeltester.check(model, force_py=True)
