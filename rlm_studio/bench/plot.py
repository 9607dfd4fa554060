"""`bench plot`: accuracy against input size per method (the paper's Figure 1) and cost against size (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .report import by_size
from .tokens import format_size


def plot_bench(bench: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> None:
    """Write a PNG or SVG (by the file's suffix); ValueError when nothing is scored yet."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = by_size(rows)
    if not points:
        raise ValueError(f"bench {bench['id']} has no scored tasks to plot yet")
    lines: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        lines.setdefault(f"{p['method']} / {p['family']}", []).append(p)
    figure, (accuracy, cost) = plt.subplots(1, 2, figsize=(11, 4.2))
    sizes = sorted({p["size"] for p in points})
    for label, series in sorted(lines.items()):
        series.sort(key=lambda p: p["size"])
        xs = [p["size"] for p in series]
        accuracy.plot(xs, [p["score"] for p in series], marker="o", label=label)
        priced = [p for p in series if p["cost_mean"] is not None]
        if priced:
            cost.plot([p["size"] for p in priced], [p["cost_mean"] for p in priced], marker="o", label=label)
    for axis in (accuracy, cost):
        axis.set_xscale("log", base=2)
        axis.set_xticks(sizes, [format_size(s) for s in sizes])
        axis.set_xlabel("input size (tokens)")
        axis.grid(True, alpha=0.3)
    accuracy.set_ylim(-2, 102)
    accuracy.set_ylabel("score (0-100)")
    accuracy.set_title("Accuracy against input size")
    cost.set_ylim(bottom=0)  # a cost is never negative; all-$0 benches would otherwise centre on 0
    cost.yaxis.set_major_formatter(lambda value, _pos: f"${value:,.4g}")
    cost.set_ylabel("mean cost per task (USD)")
    cost.set_title("Cost against input size")
    accuracy.legend(fontsize=8)
    figure.suptitle(f"bench {bench['id']} ({bench['suite']})", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format=path.suffix.lstrip(".").lower(), dpi=110)
    plt.close(figure)
