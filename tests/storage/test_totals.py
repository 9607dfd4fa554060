"""Subtree totals on a 10,000-node run against a brute-force sum over each node's descendants."""

from __future__ import annotations

import math

from tests.support.sample_runs import wide_run


def test_subtree_totals_of_a_10000_node_run_equal_a_brute_force_sum(store):
    events = wide_run(10_000)
    store.ingest_events(events)
    run_id = events[0].run_id
    nodes = store.load_nodes(run_id)
    assert len(nodes) >= 9_990
    totals = store.subtree_totals(run_id)

    children: dict[str, list[str]] = {}
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        children.setdefault(n["parent_id"], []).append(n["id"])

    def descendants(node_id):
        stack, seen = [node_id], []
        while stack:
            current = stack.pop()
            seen.append(current)
            stack.extend(children.get(current, []))
        return seen

    sample_ids = [n["id"] for n in nodes if n["kind"] in ("run", "iteration", "cell")][:60] + ["n5", nodes[-1]["id"]]
    for node_id in sample_ids:
        members = [by_id[m] for m in descendants(node_id)]
        want_in = sum(m["input_tokens"] for m in members)
        want_out = sum(m["output_tokens"] for m in members)
        want_cost = sum(m["cost_usd"] for m in members if m["cost_usd"] is not None)
        got = totals[node_id]
        assert (got["input_tokens"], got["output_tokens"]) == (want_in, want_out)
        assert math.isclose(got["known_cost_usd"], want_cost, rel_tol=1e-9, abs_tol=1e-12)
        assert got["cost_unknown"] == any(m["cost_usd"] is None for m in members)
        assert got["subcalls"] == sum(m["kind"] == "subcall" for m in members)
        assert got["child_runs"] == sum(m["kind"] == "run" and m["id"] != node_id for m in members)
        assert got["root_calls"] == sum(m["kind"] == "model_call" for m in members)
    root = totals["n1"]
    run = store.get_run(run_id)
    assert (root["input_tokens"], root["output_tokens"]) == (run["input_tokens"], run["output_tokens"])
    assert math.isclose(root["known_cost_usd"], run["cost_usd"], rel_tol=1e-9)
    assert root["cost_unknown"] == run["cost_unknown"]
    assert (root["subcalls"], root["child_runs"]) == (run["subcalls"], run["child_runs"])
