"""A run that stops without FINAL reports no answer, and its best candidate labelled as one, on every
surface that reads the stored run: `show`, `show --json`, both exports, and the app's detail pane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rlm_studio.storage import Store

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RLM_STUDIO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "rlm_studio", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


def test_show_and_exports_say_no_answer_with_a_labelled_candidate(tmp_path):
    home = tmp_path / "home"
    doc = tmp_path / "doc.txt"
    doc.write_text("abc\n" * 100)
    model = tmp_path / "root.json"
    model.write_text(json.dumps({"rules": [], "default": "Counting.\n```repl\nn = len(context)\nprint(n)\n```"}))
    out = cli("run", "-c", str(doc), "-q", "How long?", "--root-model", f"script:{model}", "--max-iterations",
              "2", "--json", home=home)
    assert out.returncode == 1, out.stderr
    summary = json.loads(out.stdout)
    assert summary["answer"] is None and summary["best_candidate"]["source"] == "last response"
    run_id = summary["run_id"]

    shown = cli("show", run_id, home=home)
    assert "Answer:   (none); best candidate, from the last response: Counting. ```repl" in shown.stdout
    data = json.loads(cli("show", run_id, "--json", home=home).stdout)
    assert data["run"]["answer"] is None
    assert data["run"]["best_candidate"] == summary["best_candidate"]

    official = tmp_path / "official.jsonl"
    assert cli("export", run_id, "--format", "official", "-o", str(official), home=home).returncode == 0
    lines = [json.loads(line) for line in official.read_text().splitlines()]
    assert all(line.get("final_answer") is None for line in lines if line["type"] == "iteration")
    own = tmp_path / "own.jsonl"
    assert cli("export", run_id, "-o", str(own), home=home).returncode == 0
    [finished] = [json.loads(line) for line in own.read_text().splitlines()
                  if '"kind":"run_finished"' in line.replace(" ", "")]
    assert finished["answer"] is None and finished["best_candidate"] == summary["best_candidate"]

    from rlm_studio.ui.detail_html import build_detail, section_text

    with Store.open(home / "rlm_studio.db") as store:
        events = store.load_events(run_id)
        root = next(n for n in store.load_nodes(run_id) if n["parent_id"] is None)
    detail = build_detail(_Node(root), [e for e in events if e.node_id == root["id"]])
    assert section_text(detail, "answer") == "The run ended without FINAL or FINAL_VAR."
    assert "Counting." in (section_text(detail, "best_candidate") or "")

    from rlm_studio.analysis.open_run import OpenRun
    from rlm_studio.analysis.run_summary import summarize
    from rlm_studio.ui.header_text import answer_html

    opened = OpenRun(run_id)
    for event in events:
        opened.apply(event)
    header = answer_html(summarize(opened), running=False)
    assert "no answer; best candidate (from the last response): Counting." in header


class _Node:
    """The few fields of a tree node the detail pane reads, from a stored node row."""

    def __init__(self, row: dict):
        self.__dict__.update(row)
        self.extra = row.get("extra") or {}
