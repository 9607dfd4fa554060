"""Opening a stored run from its node rows (issue 15): the same tree as folding its events, node details
read from the database only when a node is selected, the filter finding a deep node, and no read of the
whole event stream on the way."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QModelIndex, Qt

from rlm_studio.analysis.failure_modes import detect_failure_modes
from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.analysis.run_summary import summarize
from rlm_studio.engine.run_tree import RunTree
from rlm_studio.engine.run_tree.columns import COLUMNS as COLUMN_NAMES
from rlm_studio.engine.run_tree.columns import ColumnTree
from rlm_studio.storage.store import Store
from rlm_studio.ui.stored_run import load_stored_run
from rlm_studio.ui.tree_model import COL_IN, COL_NODE, COLUMNS, FILTER_ROLE, NODE_ID_ROLE, SORT_ROLE, RunTreeModel
from tests.analysis.analysis_streams import big_run
from tests.ui.synthetic_events import synthetic_run

ROLES = (Qt.ItemDataRole.DisplayRole, SORT_ROLE, FILTER_ROLE, Qt.ItemDataRole.ToolTipRole)


def _stored(tmp_path, events, *, findings: bool = True) -> Store:
    store = Store.open(tmp_path / "runs.db")
    store.ingest_events(events)
    if findings:   # as a run recorded by the app or the CLI has them
        store.save_findings(events[0].run_id, [f.to_dict() for f in detect_failure_modes(events)])
    return store


def _no_event_stream(store: Store, monkeypatch) -> None:
    def refuse(run_id: str) -> list:
        raise AssertionError("the whole event stream was read")
    monkeypatch.setattr(store, "load_events", refuse)


def _rows(model: RunTreeModel) -> list[tuple]:
    """Every row of the model, depth-first: its level and what each column shows in each role."""
    out, stack = [], [(QModelIndex(), -1)]
    while stack:
        parent, level = stack.pop()
        children = [model.index(r, 0, parent) for r in range(model.rowCount(parent))]
        for index in children:
            out.append((level + 1, model.data(index, NODE_ID_ROLE),
                        tuple(_rounded(model.data(index.siblingAtColumn(c), role))
                              for c in range(len(COLUMNS)) for role in ROLES)))
        stack.extend((index, level + 1) for index in reversed(children))
    return out


def _rounded(value):
    return round(value, 12) if isinstance(value, float) else value


@pytest.mark.parametrize("events", [synthetic_run(iterations=4, subcalls_per_cell=5),
                                    big_run(3_000).events], ids=["child-runs", "big-run"])
def test_a_run_opened_from_its_node_rows_is_the_tree_its_events_fold_to(tmp_path, monkeypatch, events):
    run_id = events[0].run_id
    store = _stored(tmp_path, events)
    try:
        _no_event_stream(store, monkeypatch)
        opened = load_stored_run(store, run_id).run
        folded = OpenRun.from_events(events, run_id)
        tree, want = opened.tree, folded.tree
        assert isinstance(tree, ColumnTree) and not opened.events_complete
        assert len(tree) == len(want) > 50 and tree.structure() == want.structure()
        for node_id in want.nodes:
            got, expected = tree.node(node_id), want.node(node_id)
            if expected.kind != "run":   # a sub-call's response preview stays in its events (read with its details)
                expected.extra, got.extra = {}, {}
            assert got == expected, node_id
            a, b = tree.totals(node_id).to_dict(), want.totals(node_id).to_dict()
            assert a == pytest.approx(b), node_id
        # what the header and the status bar read: the same counts, question, answer, time and warnings
        got_summary, want_summary = summarize(opened), summarize(folded)
        assert got_summary.figures() == pytest.approx(want_summary.figures())
        assert (got_summary.question, got_summary.answer, got_summary.status, got_summary.isolation,
                got_summary.warnings) == (want_summary.question, want_summary.answer, want_summary.status,
                                          want_summary.isolation, want_summary.warnings)
        assert [e.kind for e in opened.documents] == [e.kind for e in folded.documents]
        # the run view's model shows every row alike: labels, figures, subtree costs, tooltips, filter texts
        assert _rows(RunTreeModel(tree)) == _rows(RunTreeModel(want))
        # the findings are the stored ones, by node as the tree marks them
        assert opened.findings == store.findings(run_id)
        assert list(opened.finding_marks) == list(folded.finding_marks) or not folded.findings
    finally:
        store.close()


def test_a_run_without_stored_findings_reads_its_events_once_to_detect_them(tmp_path):
    events = big_run(1_500).events
    store = _stored(tmp_path, events, findings=False)
    try:
        loaded = load_stored_run(store, "run-big")
        assert loaded.findings_saved
        assert loaded.run.findings == [f.to_dict() for f in detect_failure_modes(events)] != []
        assert store.get_run("run-big")["findings_computed"]
    finally:
        store.close()


def test_column_tree_places_odd_rows_as_from_nodes_does():
    """A parent that opens after its child, a missing parent and a node naming itself go to the top level,
    and a duplicated id keeps its first row, as RunTree.from_nodes places them."""
    events = synthetic_run(iterations=2, subcalls_per_cell=2)
    nodes = list(RunTree.from_events(events).nodes.values())
    odd = [*nodes,
           type(nodes[0])(id="orphan", parent_id="nowhere", kind="subcall", start_seq=10_000, order=10_000),
           type(nodes[0])(id="self", parent_id="self", kind="cell", start_seq=10_001, order=10_001),
           type(nodes[0])(id="early", parent_id="late", kind="subcall", start_seq=10_002, order=10_002),
           type(nodes[0])(id="late", parent_id=None, kind="cell", start_seq=10_003, order=10_003),
           type(nodes[0])(id="orphan", parent_id=None, kind="cell", start_seq=10_004, order=10_004)]
    want = RunTree.from_nodes(odd)
    rows = [tuple(getattr(n, name) if name != "extra" else json.dumps(n.extra) for name in
                  ("id", "parent_id", "kind", "depth", "order", "label", "summary", "model", "status", "error",
                   "iteration", "started_ts", "ended_ts", "duration_ms", "input_tokens", "output_tokens",
                   "cached_tokens", "reasoning_tokens", "tokens_estimated", "cost_usd", "start_seq", "end_seq",
                   "extra")) for n in reversed(odd)]
    got = ColumnTree.from_rows(rows)
    assert got.structure() == want.structure()
    assert all(got.totals(n) == want.totals(n) for n in want.nodes)
    assert got.node("orphan").kind == "subcall" and got.parent("early") is None
    assert got.to_dict() == want.to_dict()
    with pytest.raises(TypeError):
        got.apply(events[0])


def test_a_column_tree_let_go_is_freed_at_once_without_a_garbage_collection():
    """No reference cycle holds a stored run's tree: opening another run frees the last one's columns even
    though the app's UI thread rarely makes a full collection."""
    import gc
    import weakref

    rows = [tuple(getattr(n, name) if name != "extra" else json.dumps(n.extra) for name in COLUMN_NAMES)
            for n in RunTree.from_events(synthetic_run(iterations=2, subcalls_per_cell=3)).nodes.values()]
    tree = ColumnTree.from_rows(rows)
    nodes = tree.nodes
    assert len(nodes) == len(rows) and nodes[rows[0][0]].id == rows[0][0]
    ref = weakref.ref(tree)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del tree
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()
    with pytest.raises(ReferenceError):
        len(nodes)


def test_a_selected_nodes_details_are_read_when_it_is_selected(window, qtbot, monkeypatch):
    events = synthetic_run(iterations=3, subcalls_per_cell=4)
    store = window.store
    store.ingest_events(events)
    store.save_findings("synthetic", [])
    read: list[tuple] = []
    original = store.load_events_at

    def counting(run_id, seqs):
        seqs = tuple(seqs)
        read.append(seqs)
        return original(run_id, seqs)

    monkeypatch.setattr(store, "load_events_at", counting)
    _no_event_stream(store, monkeypatch)
    assert window.open_run("synthetic")
    view = window.run_view
    assert read == []   # nothing of any node's details was read to open the run
    tree = view.run.tree
    sub = next(n for n in tree.find("subcall") if tree.node(n).depth == 1)   # a sub-call of a child run
    node = tree.node(sub)
    assert view.select_node(sub)
    qtbot.waitUntil(lambda: "Summarise chunk" in view.detail.toPlainText(), timeout=5000)
    text = view.detail.toPlainText()
    assert "Prompt (user)" in text and "Response (assistant)" in text and "summary " in text
    assert read == [(node.start_seq, node.end_seq)]
    cell = next(n for n in tree.find("cell") if tree.node(n).depth == 0)
    assert view.select_node(cell)
    qtbot.waitUntil(lambda: "Output (stdout)" in view.detail.toPlainText(), timeout=5000)
    assert "print(len(chunks)" in view.detail.toPlainText()
    assert len(read) == 2
    root = tree.root_id
    assert view.select_node(root)
    qtbot.waitUntil(lambda: "They say alpha beta." in view.detail.toPlainText(), timeout=5000)
    assert "What do the chunks say?" in view.detail.toPlainText()


def test_the_filter_finds_a_deep_node_of_a_stored_run(window, qtbot):
    events = big_run(6_000).events
    store = window.store
    store.ingest_events(events)
    store.save_findings("run-big", [])
    assert window.open_run("run-big")
    view = window.run_view
    tree = view.run.tree
    deepest = max(tree.nodes, key=lambda n: (tree.node(n).depth, tree.level(n)))
    assert tree.node(deepest).depth >= 2
    label = tree.node(deepest).label
    source = view.model
    matching = [n for n in tree.nodes if label.lower() in source.data(source.index_of(n), FILTER_ROLE).lower()]
    view.set_filter(label)
    shown = view.tree_view.model()
    assert shown is view.proxy
    visible = _visible_ids(shown)
    expected = set(matching)
    for node_id in matching:
        expected.update(tree.ancestors(node_id))
    assert set(visible) == expected and deepest in visible
    assert view.select_node(deepest) and view.selected_node == deepest
    # the deep node's row is laid out (its ancestors expanded) in the view
    assert view.tree_view.visualRect(view.view_index(deepest)).isValid()
    view.set_filter("needle-xyzzy")   # nothing holds it
    assert _visible_ids(view.tree_view.model()) == []
    view.set_filter("")
    assert view.tree_view.model() is view.model   # no filter and no sort: the tree model itself
    assert view.selected_node == deepest
    # sorting by a figure shows the proxy (sorted), sorting back by the node order the model itself
    header = view.tree_view.header()
    header.setSortIndicator(COL_IN, Qt.SortOrder.DescendingOrder)
    assert view.tree_view.model() is view.proxy
    busy = max(tree.find("cell"), key=tree.child_count)   # a cell with sub-calls of many sizes
    cell = view.view_index(busy)
    values = [view.proxy.data(view.proxy.index(r, COL_IN, cell), SORT_ROLE) for r in range(view.proxy.rowCount(cell))]
    assert len(set(values)) > 3 and values == sorted(values, reverse=True)
    header.setSortIndicator(COL_NODE, Qt.SortOrder.AscendingOrder)
    assert view.tree_view.model() is view.model and view.selected_node == deepest


def _visible_ids(model) -> list[str]:
    out, stack = [], [QModelIndex()]
    while stack:
        parent = stack.pop()
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            out.append(model.data(index, NODE_ID_ROLE))
            stack.append(index)
    return out


def test_details_of_a_run_whose_database_went_away_are_empty_not_an_error(tmp_path):
    events = synthetic_run(iterations=2, subcalls_per_cell=2)
    store = _stored(tmp_path, events)
    run = load_stored_run(store, "synthetic").run
    first, second = run.tree.find("subcall")[:2]
    assert [e.kind for e in run.for_node(first)] == ["subcall_started", "subcall_finished"]
    store.close()
    assert run.for_node(second) == []                       # read now: nothing to read it from
    assert [e.kind for e in run.for_node(first)] == ["subcall_started", "subcall_finished"]   # read before: kept


def test_the_filter_index_finds_what_the_filter_role_holds(tmp_path):
    """The index search gives the nodes whose FILTER_ROLE text holds the needle (any case), for a stored
    tree and a live one alike, whatever the text holds (a newline in an error, a letter lower() lengthens)."""
    events = big_run(2_000).events
    store = _stored(tmp_path, events)
    try:
        stored = RunTreeModel(load_stored_run(store, "run-big").run.tree)
    finally:
        store.close()
    live = RunTreeModel(RunTree.from_events(events))
    odd = next(n for n in live.tree.find("cell") if live.tree.node(n).error)
    live.tree.node(odd).error = "İstanbul\nValueError: bad"   # (a record of the live tree: changed in place here)
    for model in (stored, live):
        texts = {n: model.data(model.index_of(n), FILTER_ROLE).lower() for n in model.tree.nodes}
        for needle in ("Code cell 2", "ERROR", "m-sub", "boom", "valueerror: bad", "zzz-nothing", "istanbul"):
            want = {n for n, text in texts.items() if needle.lower() in text}
            with_ancestors = set(want)
            for n in want:
                with_ancestors.update(model.tree.ancestors(n))
            assert model.matching(needle) == with_ancestors, (needle, model is stored)
    assert live.matching("valueerror: bad") and stored.matching("boom")
