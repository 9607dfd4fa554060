"""bench list / show / compare / export / plot over real stored benches, and the cost gate before a start."""

from __future__ import annotations

import csv
import io
import json

from rlm_studio.cli.main import main

from .scripts import ORACLE_CODE, WRONG, write_script


def _run(tmp_path, capsys, model: str, *extra: str) -> str:
    code = main(["bench", "run", "sniah", "--sizes", "8k,16k", "--tasks", "2", "--root-model", model,
                 "--db", str(tmp_path / "r.db"), "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["bench_id"]


def test_show_compare_export_plot(tmp_path, capsys):
    good = _run(tmp_path, capsys, write_script(tmp_path, "oracle", ORACLE_CODE), "--methods", "rlm,base")
    bad = _run(tmp_path, capsys, write_script(tmp_path, "wrong", WRONG))
    db = ["--db", str(tmp_path / "r.db")]

    assert main(["bench", "list", *db]) == 0
    listing = capsys.readouterr().out
    assert good in listing and bad in listing

    assert main(["bench", "show", good, *db]) == 0
    shown = capsys.readouterr().out
    assert "rlm     sniah   4/4    100.0  0 " in shown and "base" in shown
    assert "8k" in shown and "16k" in shown

    assert main(["bench", "show", good, "--json", "--tasks", *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(s["method"], s["score"]) for s in data["summary"]} == {("rlm", 100.0), ("base", 0.0)}
    assert all(t["run_id"] for t in data["tasks"])

    assert main(["bench", "compare", good, bad, "--json", *db]) == 0
    lines = {(r["method"]): r for r in json.loads(capsys.readouterr().out)["lines"]}
    assert lines["rlm"]["score_a"] == 100.0 and lines["rlm"]["score_b"] == 0.0 and lines["rlm"]["score_delta"] == -100

    assert main(["bench", "export", good, "--format", "csv", *db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 8 and {r["method"] for r in rows} == {"rlm", "base"}
    assert main(["bench", "export", good, "--format", "markdown", "-o", str(tmp_path / "r.md"), *db]) == 0
    assert "| rlm | sniah |" in (tmp_path / "r.md").read_text()
    assert main(["bench", "export", good, "--format", "json", *db]) == 0
    assert len(json.loads(capsys.readouterr().out)["tasks"]) == 8

    for suffix in ("png", "svg"):
        out = tmp_path / f"plot.{suffix}"
        assert main(["bench", "plot", good, "-o", str(out), *db]) == 0
        head = out.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in out.read_bytes()[:2000]
    assert main(["bench", "plot", good, "-o", str(tmp_path / "plot.gif"), *db]) == 2


def test_cost_estimate_refuses_above_max_cost(tmp_path, capsys):
    priced = write_script(tmp_path, "priced", ORACLE_CODE, cost_usd=0.5)
    db = str(tmp_path / "r.db")
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "2", "--root-model", priced, "--db", db,
                 "--max-cost", "0.10"])
    assert code == 2
    err = capsys.readouterr().err
    assert "not started" in err and "above --max-cost" in err
    assert main(["bench", "list", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == []        # nothing stored for a refused bench
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "2", "--root-model", priced, "--db", db,
                 "--max-cost", "0.10", "--yes", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["summary"][0]["cost_mean"] == 0.5


def test_failure_modes_are_counted_per_method_and_model(tmp_path, capsys):
    idle = write_script(tmp_path, "idle", "Let me think about where the number could be.")
    db = ["--db", str(tmp_path / "r.db")]
    code = main(["bench", "run", "sniah", "--sizes", "8k", "--tasks", "2", "--methods", "rlm,base",
                 "--max-iterations", "2", "--root-model", idle, "--json", *db])
    assert code == 0
    bench_id = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["bench_id"]
    assert main(["bench", "show", bench_id, "--json", *db]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    by_kind = {f["kind"]: f for f in findings}
    assert {"no_code", "iteration_limit"} <= set(by_kind)
    assert all(f["method"] == "rlm" and f["model"] == idle for f in findings)   # base runs are not RLM runs
    assert by_kind["iteration_limit"]["runs"] == by_kind["iteration_limit"]["of"] == 2
    assert main(["bench", "show", bench_id, *db]) == 0
    assert "iteration_limit  2 of 2" in capsys.readouterr().out


def test_delete_a_bench_with_or_without_its_runs(tmp_path, capsys):
    from rlm_studio.storage import Store

    oracle = write_script(tmp_path, "oracle", ORACLE_CODE)
    first = _run(tmp_path, capsys, oracle)
    second = _run(tmp_path, capsys, oracle)
    db = ["--db", str(tmp_path / "r.db")]
    with Store.open(tmp_path / "r.db") as store:
        assert len(store.list_runs()) == 8
    assert main(["bench", "delete", first, *db]) == 2            # no terminal to ask on, no --yes
    assert "without --yes" in capsys.readouterr().err
    assert main(["bench", "delete", first, "--yes", *db]) == 0
    assert main(["bench", "delete", second, "--yes", "--runs", *db]) == 0
    capsys.readouterr()
    assert main(["bench", "list", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out) == []
    with Store.open(tmp_path / "r.db") as store:
        assert len(store.list_runs()) == 4                        # the first bench's runs stay
