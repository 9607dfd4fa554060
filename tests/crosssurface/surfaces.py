"""Read the named counts of one stored run from every surface that shows them.

Each reader returns {count name: value} for the counts that surface has; the cross-surface test checks
that every surface agrees with every other on each count they share. The app is read through its tree
model (what the run view shows), its header and its status bar (their text, read back by regex: when
those widgets change, adapt `header_counts` / `status_bar_counts` only).
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from rlm_studio.analysis.open_run import OpenRun
from rlm_studio.analysis.run_summary import summarize
from rlm_studio.cli.main import main
from rlm_studio.engine.events import event_from_dict
from rlm_studio.engine.run_tree import RunTree

COUNTS = ("iterations", "tree_iterations", "root_calls", "subcalls", "child_runs", "model_calls", "input_tokens",
          "output_tokens", "cached_tokens", "known_cost_usd", "cost_unknown", "max_depth")


def cli_json(*argv: str) -> Any:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    assert code in (0, 1), (argv, code)
    return json.loads(out.getvalue())


def _pick(data: dict[str, Any], renames: dict[str, str] | None = None) -> dict[str, Any]:
    renames = renames or {}
    picked = {}
    for name in COUNTS:
        key = renames.get(name, name)
        if key in data:
            picked[name] = data[key]
    return picked


def run_json_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """`rlm-studio run --json`."""
    return _pick(summary, {"max_depth": "max_depth_reached", "known_cost_usd": "cost_usd"})


def show_counts(db: Path, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """`rlm-studio show --json`: the run's counts, and the root node's subtree totals."""
    data = cli_json("show", run_id, "--db", str(db), "--json")
    root = next(n for n in data["nodes"] if n["parent_id"] is None)
    return (_pick(data["run"], {"max_depth": "max_depth_reached", "known_cost_usd": "cost_usd"}),
            _pick(root["subtree"]))


def runs_counts(db: Path, run_id: str) -> dict[str, Any]:
    """`rlm-studio runs --json`."""
    [run] = [r for r in cli_json("runs", "--db", str(db), "--json") if r["id"] == run_id]
    return _pick(run, {"max_depth": "max_depth_reached", "known_cost_usd": "cost_usd"})


def own_export_counts(db: Path, run_id: str, tmp: Path) -> dict[str, Any]:
    """Our export file, folded back (what another machine reads from it)."""
    path = tmp / f"{run_id}.rlm.jsonl"
    assert main(["export", run_id, "--db", str(db), "-o", str(path)]) == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = RunTree.from_events(event_from_dict(json.loads(line)) for line in lines[1:])
    return _pick(tree.totals().to_dict())


def official_export_counts(db: Path, run_id: str, tmp: Path) -> dict[str, Any]:
    """The official RLMLogger export: iterations, child runs and sub-calls from its nesting."""
    path = tmp / f"{run_id}.official.jsonl"
    assert main(["export", run_id, "--db", str(db), "--format", "official", "-o", str(path)]) == 0
    iterations = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()][1:]
    counts = {"iterations": len(iterations), "tree_iterations": 0, "subcalls": 0, "child_runs": 0}

    def walk(its: list[dict[str, Any]]) -> None:
        counts["tree_iterations"] += len(its)
        for it in its:
            for block in it["code_blocks"]:
                for call in block["result"]["rlm_calls"]:
                    if "metadata" in call:
                        counts["child_runs"] += 1
                        walk(call["metadata"]["iterations"])
                    else:
                        counts["subcalls"] += 1

    walk(iterations)
    return counts


def app_counts(events: list[Any]) -> dict[str, Any]:
    """The app's run view: count and sum the rows of its tree model (offscreen Qt)."""
    from rlm_studio.ui.tree_model import COL_IN, COL_OUT, COL_SUBTREE_COST, KIND_ROLE, SORT_ROLE, RunTreeModel

    model = RunTreeModel(RunTree.from_events(events))
    rows: list[tuple[str, int, Any]] = []   # (kind, level, index)
    stack = [(model.index(r, 0), 0) for r in range(model.rowCount())]
    while stack:
        index, level = stack.pop()
        rows.append((model.data(index, KIND_ROLE), level, index))
        stack += [(model.index(r, 0, index), level + 1) for r in range(model.rowCount(index))]
    [root] = [i for kind, level, i in rows if level == 0]

    def figure(index: Any, column: int) -> Any:
        return model.data(index.siblingAtColumn(column), SORT_ROLE)

    kinds = [k for k, _, _ in rows]
    return {"iterations": sum(1 for k, lvl, _ in rows if k == "iteration" and lvl == 1),
            "tree_iterations": kinds.count("iteration"), "root_calls": kinds.count("model_call"),
            "subcalls": kinds.count("subcall"), "child_runs": kinds.count("run") - 1,
            "model_calls": kinds.count("model_call") + kinds.count("subcall"),
            "input_tokens": sum(figure(i, COL_IN) or 0 for _, _, i in rows),
            "output_tokens": sum(figure(i, COL_OUT) or 0 for _, _, i in rows),
            "known_cost_usd": figure(root, COL_SUBTREE_COST)}


def _numbers(text: str, patterns: dict[str, str]) -> dict[str, Any]:
    found = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, text)
        assert match, (pattern, text)
        found[name] = int(match.group(1).replace(",", ""))
    return found


def header_counts(events: list[Any]) -> dict[str, Any]:
    """The app's run header: the counts in its totals line (the text the label shows)."""
    from rlm_studio.ui.header_text import header_text

    summary = summarize(OpenRun.from_events(events))
    text = header_text(summary, running=False).totals
    return _numbers(text, {"iterations": r"<b>Iterations</b> ([\d,]+)", "subcalls": r"<b>Sub-calls</b> ([\d,]+)",
                           "child_runs": r"<b>Child runs</b> ([\d,]+)", "max_depth": r"<b>Deepest depth</b> ([\d,]+)"})


def status_bar_counts(events: list[Any]) -> dict[str, Any]:
    """The app's status bar line."""
    from rlm_studio.ui.header_text import status_line

    text = status_line(summarize(OpenRun.from_events(events)), running=False)
    return _numbers(text, {"iterations": r"iteration ([\d,]+)", "subcalls": r"([\d,]+) sub-calls"})


def app_summary_counts(events: list[Any]) -> dict[str, Any]:
    """The plain figures the header and status bar are made from (OpenRun -> RunSummary)."""
    figures = summarize(OpenRun.from_events(events)).figures()
    return _pick(figures)
