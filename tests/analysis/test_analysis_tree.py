
import pytest

from rlm_studio.analysis.tree import RunTree, TreeChange
from rlm_studio.engine.run_tree import fold_nodes
from tests.analysis.analysis_streams import StreamBuilder, big_run, simple_run
from tests.support.totals import brute_force_totals


def test_simple_run_shape_rows_and_parents():
    tree = RunTree.from_events(simple_run().events)
    root = tree.root_id
    assert tree.node(root).kind == "run"
    kinds = [tree.node(c).kind for c in tree.children(root)]
    assert kinds == ["iteration", "iteration", "final_answer"]
    it1, it2, final = tree.children(root)
    assert [tree.node(c).kind for c in tree.children(it1)] == ["model_call", "cell"]
    cell1 = tree.children(it1)[1]
    assert [tree.node(c).kind for c in tree.children(cell1)] == ["subcall"]
    assert tree.row(it2) == 1 and tree.row(final) == 2 and tree.parent(it2) == root
    assert tree.parent(root) is None and tree.children(None) == [root]
    order = [tree.node(n).kind for n in tree.walk()]
    assert order == ["run", "iteration", "model_call", "cell", "subcall", "iteration", "model_call", "cell",
                     "final_answer"]
    assert tree.node(root).status == "completed"


def test_root_totals_add_up_own_figures():
    tree = RunTree.from_events(simple_run().events)
    totals = tree.totals()
    assert (totals.input_tokens, totals.output_tokens) == (100 + 50 + 300, 20 + 5 + 40)
    assert totals.cost_usd == pytest.approx(0.001 + 0.0005 + 0.001)
    assert (totals.root_calls, totals.subcalls, totals.model_calls, totals.cells, totals.iterations) == (2, 1, 3, 2, 2)
    assert (totals.child_runs, totals.errors, totals.max_depth, totals.cost_unknown) == (0, 0, 0, False)
    it1 = tree.children(tree.root_id)[0]
    assert tree.totals(it1).input_tokens == 150 and tree.totals(it1).subcalls == 1


def test_unknown_price_makes_subtree_cost_unknown_but_not_siblings():
    b = StreamBuilder()
    run = b.start_run()
    it = b.iteration(run, 1)
    b.model_call(it, "x", cost=0.002)
    cell = b.cell(it, "llm_query('a')", subcalls=[("a", "b")], subcall_cost=None)
    tree = RunTree.from_events(b.events)
    assert tree.totals().cost_usd is None and tree.totals().cost_unknown
    assert tree.totals().known_cost_usd == pytest.approx(0.002)
    assert tree.totals(cell).cost_usd is None
    model_call = tree.children(it)[0]
    assert tree.totals(model_call).cost_usd == pytest.approx(0.002)


def test_failed_call_without_tokens_is_not_an_unknown_price_but_an_error():
    b = StreamBuilder()
    run = b.start_run()
    it = b.iteration(run, 1)
    b.model_call(it, "", cost=None, tokens=(0, 0), error={"kind": "server", "message": "503"})
    tree = RunTree.from_events(b.events)
    assert tree.totals().cost_usd == 0.0 and tree.totals().errors == 1


def test_changes_report_insert_rows_and_updated_ancestors():
    b = StreamBuilder()
    tree = RunTree()
    run = b.start_run(context=None)
    assert tree.apply(b.events[-1]) == TreeChange("inserted", run, None, 0, ())
    it = b.iteration(run, 1)
    assert tree.apply(b.events[-1]) == TreeChange("inserted", it, run, 0, (run,))
    b.model_call(it, "hello", tokens=(10, 2))
    started, finished = b.events[-2:]
    change = tree.apply(started)
    assert (change.kind, change.parent_id, change.row, change.updated) == ("inserted", it, 0, (it, run))
    change = tree.apply(finished)
    assert change.kind == "updated" and change.updated == (started.node_id, it, run)
    assert tree.totals(run).input_tokens == 10
    b.end_iteration(it, 1)
    change = tree.apply(b.events[-1])
    assert change.kind == "updated" and change.updated == (it,)  # own status only; no totals moved


def test_events_without_tree_effect_return_none_and_dicts_are_accepted():
    b = simple_run()
    tree = RunTree()
    changes = [tree.apply(e.to_dict()) for e in b.events]
    kinds = [e.kind for e, c in zip(b.events, changes) if c is None]
    assert kinds == ["context_attached"]
    assert tree.structure() == RunTree.from_events(b.events).structure()
    with pytest.raises(KeyError, match="no node"):
        tree.node("missing")


def test_duplicate_opening_event_keeps_first_node():
    b = simple_run()
    events = list(b.events)
    events.insert(5, events[2])  # iteration_started again
    tree = RunTree.from_events(events)
    assert len(tree) == len(RunTree.from_events(b.events))


def test_child_run_counts_and_depth():
    b = StreamBuilder()
    run = b.start_run()
    it = b.iteration(run, 1)
    cell = b.new_node()
    from rlm_studio.engine.events import CellFinished, CellStarted
    b.emit(CellStarted(node_id=cell, parent_id=it, iteration=1, index=1, code="rlm_query('q')"))
    child = b.start_run("q", depth=1, parent=cell)
    cit = b.iteration(child, 1)
    b.model_call(cit, "FINAL(1)", tokens=(7, 3))
    b.finish(child, answer="1")
    b.emit(CellFinished(node_id=cell, parent_id=it))
    tree = RunTree.from_events(b.events)
    assert tree.parent(child) == cell and tree.node(child).depth == 1
    assert tree.totals().child_runs == 1 and tree.totals().max_depth == 1
    assert tree.totals(child).child_runs == 0 and tree.totals(child).iterations == 1
    assert tree.totals(cell).input_tokens == 7
    assert tree.level(cit) == 4


def test_ten_thousand_nodes_incremental_totals_equal_brute_force():
    b = big_run(10_000)
    events = b.events
    tree = RunTree()
    half = len(events) // 2
    for event in events[:half]:
        tree.apply(event)
    _assert_all_totals_match(tree)  # a mid-stream check as well: totals are right at every moment
    for event in events[half:]:
        tree.apply(event)
    assert len(tree) >= 10_000
    assert tree.totals().child_runs > 0 and tree.totals().max_depth >= 2 and tree.totals().errors > 0
    _assert_all_totals_match(tree)
    assert tree.nodes == fold_nodes(events)   # how fast: benchmarks/bench_analysis.py


def _assert_all_totals_match(tree):
    for node_id in tree.walk():
        fast, slow = tree.totals(node_id), brute_force_totals(tree, node_id)
        assert fast.known_cost_usd == pytest.approx(slow.known_cost_usd, rel=1e-9, abs=1e-12)
        assert fast.to_dict() | {"known_cost_usd": 0, "cost_usd": 0} == \
            slow.to_dict() | {"known_cost_usd": 0, "cost_usd": 0}
