"""Bench figures from its stored rows: the paper-style table (method x family), accuracy per size, compare, export."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from typing import Any

from .tokens import format_size

Row = dict[str, Any]


def method_label(row: Row) -> str:
    return str(row["method"]) + (f" [{row['config']}]" if row.get("config") else "")


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def summary(rows: list[Row]) -> list[Row]:
    """One line per method (and sweep point) x family: score (0-100), mean/median cost, tokens, time."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(method_label(row), row["family"])].append(row)
    lines = []
    for (method, family), group in sorted(groups.items()):
        done = [r for r in group if r["status"] == "done"]
        costs = [r["cost_usd"] for r in done if r["cost_usd"] is not None and not r["cost_unknown"]]
        lines.append({
            "method": method, "family": family, "tasks": len(group), "done": len(done),
            "run_errors": sum(1 for r in done if r.get("run_status") == "failed"),
            "score": None if not done else 100.0 * statistics.fmean(r["score"] or 0.0 for r in done),
            "cost_mean": _mean(costs), "cost_median": statistics.median(costs) if costs else None,
            "cost_unknown": any(r["cost_unknown"] for r in done),
            "tokens_mean": _mean([float(r["input_tokens"] + r["output_tokens"]) for r in done]),
            "time_mean_s": _mean([(r["duration_ms"] or 0.0) / 1000.0 for r in done]),
        })
    return lines


def by_size(rows: list[Row]) -> list[Row]:
    """Accuracy (0-100) per method x family x size (the paper's Figure 1), with mean cost."""
    groups: dict[tuple[str, str, int], list[Row]] = defaultdict(list)
    for row in rows:
        if row["status"] == "done":
            groups[(method_label(row), row["family"], _size_bucket(row))].append(row)
    return [{"method": m, "family": f, "size": s, "tasks": len(g),
             "score": 100.0 * statistics.fmean(r["score"] or 0.0 for r in g),
             "cost_mean": _mean([r["cost_usd"] for r in g if r["cost_usd"] is not None])}
            for (m, f, s), g in sorted(groups.items())]


def _size_bucket(row: Row) -> int:
    """The size a task was asked for: the nearest power of two at or above its token count."""
    size = int(row.get("size_tokens") or 0)
    bucket = 1
    while bucket < size:
        bucket *= 2
    return bucket if size and bucket - size < bucket * 0.05 else size


def _fmt_cost(value: float | None, unknown: bool = False) -> str:
    if value is None:
        return "unknown" if unknown else "-"
    return f"${value:.4f}" + ("+?" if unknown else "")


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def table(headers: list[str], lines: list[list[str]], markdown: bool = False) -> str:
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(out)


def render_summary(rows: list[Row], markdown: bool = False) -> str:
    headers = ["method", "family", "tasks", "score", "failed runs", "cost mean", "cost median", "tokens mean",
               "time mean"]
    lines = [[s["method"], s["family"], f"{s['done']}/{s['tasks']}", _fmt(s["score"]), str(s["run_errors"]),
              _fmt_cost(s["cost_mean"], s["cost_unknown"]), _fmt_cost(s["cost_median"], s["cost_unknown"]),
              _fmt(s["tokens_mean"], ",.0f"), _fmt(s["time_mean_s"], ".2f") + " s"] for s in summary(rows)]
    return table(headers, lines, markdown)


def render_by_size(rows: list[Row], markdown: bool = False) -> str:
    points = by_size(rows)
    sizes = sorted({p["size"] for p in points})
    keys = sorted({(p["method"], p["family"]) for p in points})
    lookup = {(p["method"], p["family"], p["size"]): p["score"] for p in points}
    headers = ["method", "family"] + [format_size(s) for s in sizes]
    lines = [[m, f] + [_fmt(lookup.get((m, f, s))) for s in sizes] for m, f in keys]
    return table(headers, lines, markdown)


def render_findings(findings: list[Row], markdown: bool = False) -> str:
    headers = ["method", "model", "finding", "runs"]
    lines = [[r["method"] + (f" [{r['config']}]" if r.get("config") else ""), r["model"], r["kind"],
              f"{r['runs']} of {r['of']}" if r.get("of") else str(r["runs"])] for r in findings]
    return table(headers, lines, markdown)


def compare(rows_a: list[Row], rows_b: list[Row]) -> list[Row]:
    """Per method x family: score and mean cost of A and B, and B - A."""
    a = {(s["method"], s["family"]): s for s in summary(rows_a)}
    b = {(s["method"], s["family"]): s for s in summary(rows_b)}
    out = []
    for key in sorted(set(a) | set(b)):
        sa, sb = a.get(key), b.get(key)
        score_a, score_b = (sa or {}).get("score"), (sb or {}).get("score")
        out.append({"method": key[0], "family": key[1], "score_a": score_a, "score_b": score_b,
                    "score_delta": None if score_a is None or score_b is None else score_b - score_a,
                    "cost_a": (sa or {}).get("cost_mean"), "cost_b": (sb or {}).get("cost_mean"),
                    "time_a_s": (sa or {}).get("time_mean_s"), "time_b_s": (sb or {}).get("time_mean_s")})
    return out


def render_compare(lines: list[Row], markdown: bool = False) -> str:
    headers = ["method", "family", "score A", "score B", "delta", "cost A", "cost B", "time A", "time B"]
    body = [[r["method"], r["family"], _fmt(r["score_a"]), _fmt(r["score_b"]),
             "-" if r["score_delta"] is None else f"{r['score_delta']:+.1f}", _fmt_cost(r["cost_a"]),
             _fmt_cost(r["cost_b"]), _fmt(r["time_a_s"], ".2f"), _fmt(r["time_b_s"], ".2f")] for r in lines]
    return table(headers, body, markdown)


EXPORT_COLUMNS = ("task_id", "family", "size_tokens", "method", "config", "status", "score", "answer", "expected",
                  "run_id", "run_status", "cost_usd", "cost_unknown", "input_tokens", "output_tokens", "duration_ms",
                  "model_ms", "error")


def export(bench: Row, rows: list[Row], findings: list[Row], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"bench": bench, "summary": summary(rows), "by_size": by_size(rows),
                           "findings": findings, "tasks": [{c: r.get(c) for c in EXPORT_COLUMNS} for r in rows]},
                          indent=2, default=str)
    if fmt == "csv":
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow(EXPORT_COLUMNS)
        for r in rows:
            out.writerow([json.dumps(r[c]) if c == "expected" else r.get(c) for c in EXPORT_COLUMNS])
        return buffer.getvalue()
    if fmt == "markdown":
        parts = [f"# Bench {bench['id']} ({bench['suite']})", "", render_summary(rows, True), "",
                 "## Accuracy by input size", "", render_by_size(rows, True)]
        if findings:
            parts += ["", "## Findings", "", render_findings(findings, True)]
        return "\n".join(parts) + "\n"
    raise ValueError(f"unknown export format {fmt!r} (markdown, csv or json)")
