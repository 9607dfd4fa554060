"""Every named count (README glossary) is the same on every surface, for runs that cover depth 2, a batch
with one failed item, an error cell, a worker crash, a limit stop, a fork and an imported official log.

Surfaces: `run --json`, `show --json` (the run and its root node's subtree), `runs --json`, our export
and the official export, and the app: its run-tree view (offscreen), header and status bar. All parts are real: scripted root
models, sandboxed workers, a SQLite file, the CLI in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rlm_studio.storage import Store
from tests.support.scripts import repl
from tests.support.scripts import script as _script

from .surfaces import (
    app_counts,
    app_summary_counts,
    cli_json,
    header_counts,
    official_export_counts,
    own_export_counts,
    run_json_counts,
    runs_counts,
    show_counts,
    status_bar_counts,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _run(db: Path, context: Path, root: str, sub: str, *extra: str) -> dict[str, Any]:
    return cli_json("run", "--context", str(context), "--question", "Count things", "--root-model", root,
                    "--sub-model", sub, "--db", str(db), "--isolation", "process", "--json", *extra)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every scenario stored in one database: name -> (run id, run --json summary or None)."""
    tmp = tmp_path_factory.mktemp("surfaces")
    db = tmp / "runs.db"
    context = tmp / "context.txt"
    context.write_text("alpha beta gamma delta\n" * 50, encoding="utf-8")
    sub = _script(tmp, "sub", rules=[{"match": "item 2", "content": "", "error": "server"}], default="sub answer",
                  cost_usd=0.00125)
    deep = _script(tmp, "deep", rules=[
        {"match": "grandchild task", "content": repl("FINAL('g')")},
        {"match": "child task", "content": repl("x = llm_query('child sub')\ny = rlm_query('grandchild task')\n"
                                                "FINAL('c' + y)")},
        {"match": "ZeroDivisionError", "content": repl(
            "r = llm_query_batched(['item 1', 'item 2', 'item 3'])\nz = rlm_query('child task')\nFINAL(z)")},
    ], default=repl("a = llm_query('plain')\n1/0"))
    crash = _script(tmp, "crash", rules=[{"match": "restarted|died", "content": repl("FINAL('after the crash')")}],
                    default=repl("import os\nos.kill(os.getpid(), 9)"))
    endless = _script(tmp, "endless", responses=[repl("x = llm_query('again')")] * 5)
    found: dict[str, Any] = {"db": db, "tmp": tmp}
    for name, root, extra in (("depth2", deep, ("--max-depth", "2")), ("crash", crash, ()),
                              ("limit", endless, ("--max-iterations", "2"))):
        summary = _run(db, context, root, sub, *extra)
        found[name] = (summary["run_id"], summary)
    assert found["limit"][1]["status"] == "limit_hit"
    fork = cli_json("fork", found["depth2"][0], "--at", "2", "--db", str(db), "--json")
    found["fork"] = (fork["run_id"], fork)
    [imported] = cli_json("import", str(FIXTURES / "storage" / "rlms_0.1.3_log.jsonl"), "--db", str(db), "--json")
    found["imported"] = (imported if isinstance(imported, str) else imported["run_id"], None)
    return found


SCENARIOS = ("depth2", "crash", "limit", "fork", "imported")


def _surfaces(runs: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    db, tmp = runs["db"], runs["tmp"]
    run_id, summary = runs[name]
    show_run, show_root = show_counts(db, run_id)
    with Store.open(db) as store:
        events = store.load_events(run_id)
    found = {"show --json run": show_run, "show --json root subtree": show_root, "runs --json": runs_counts(db, run_id),
             "our export": own_export_counts(db, run_id, tmp), "official export": official_export_counts(db, run_id, tmp),
             "app tree view": app_counts(events), "app header": header_counts(events),
             "app status bar": status_bar_counts(events), "app run summary": app_summary_counts(events)}
    if summary is not None and "iterations" in summary:
        found["run --json"] = run_json_counts(summary)
    return found


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_surface_gives_the_same_counts(runs: dict[str, Any], name: str) -> None:
    surfaces = _surfaces(runs, name)
    reference = surfaces["show --json root subtree"]
    for surface, counts in surfaces.items():
        for count, value in counts.items():
            want = reference[count]
            if isinstance(want, float):
                assert value == pytest.approx(want), (name, surface, count)
            else:
                assert value == want, (name, surface, count, value, want)


def test_the_scenarios_cover_what_the_issue_names(runs: dict[str, Any]) -> None:
    """The runs really have depth 2, a failed batch item, an error cell, a crash, a limit stop and a fork."""
    with Store.open(runs["db"]) as store:
        nodes = {name: store.load_nodes(runs[name][0]) for name in SCENARIOS}
        fork = store.get_run(runs["fork"][0])
    deep = nodes["depth2"]
    assert max(n["depth"] for n in deep) == 2
    batch = [n for n in deep if n["kind"] == "subcall" and n["label"].startswith("llm_query_batched")]
    assert len(batch) == 3 and [n["status"] for n in batch].count("error") == 1
    assert any(n["kind"] == "cell" and (n["error"] or "").startswith("ZeroDivisionError") for n in deep)
    assert any(n["kind"] == "cell" and n["status"] == "crashed" for n in nodes["crash"])
    assert runs["limit"][1]["limit"] == "max_iterations"
    assert fork["parent_run_id"] == runs["depth2"][0]
    assert any(n["kind"] == "run" and n["depth"] == 1 for n in nodes["imported"])


def test_the_issue_reproduction_child_run_is_not_a_sub_call(runs: dict[str, Any]) -> None:
    """One llm_query and one rlm_query child per level: sub-calls are llm_query items only."""
    summary = runs["depth2"][1]
    # root: 'plain' + 3 batch items; child: 'child sub'; grandchild: none
    assert (summary["subcalls"], summary["child_runs"], summary["iterations"], summary["tree_iterations"]) == \
        (5, 2, 2, 4)
    # 2 root calls of the root, 1 of the child, 1 of the grandchild, plus the 5 sub-calls
    assert (summary["root_calls"], summary["model_calls"], summary["max_depth_reached"]) == (4, 9, 2)


def test_priced_sub_calls_add_up_to_the_same_cost_everywhere(runs: dict[str, Any]) -> None:
    surfaces = _surfaces(runs, "depth2")
    # 4 answered sub-calls at $0.00125 (the failed batch item costs nothing; root calls are free)
    for surface in ("run --json", "show --json run", "runs --json", "our export", "app tree view"):
        assert surfaces[surface]["known_cost_usd"] == pytest.approx(4 * 0.00125), surface
