"""Figures for the model card: the loss curve (table and PNG) and evaluation tables from evaluate's JSONL."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def loss_rows(loss_tsv: Path, every: int = 10) -> list[tuple[int, float, float]]:
    """(last step, mean loss, tokens/s) per `every` optimizer steps."""
    rows = [line.split("\t") for line in loss_tsv.read_text().splitlines() if line.strip()]
    out = []
    for i in range(0, len(rows), every):
        chunk = rows[i:i + every]
        out.append((int(chunk[-1][0]), statistics.mean(float(r[1]) for r in chunk), float(chunk[-1][3])))
    return out


def plot_loss(loss_tsv: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [line.split("\t") for line in loss_tsv.read_text().splitlines() if line.strip()]
    steps = [int(r[0]) for r in rows]
    losses = [float(r[1]) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.plot(steps, losses, lw=1, color="#888")
    window = 8
    smooth = [statistics.mean(losses[max(0, i - window + 1):i + 1]) for i in range(len(losses))]
    ax.plot(steps, smooth, lw=2, color="#1565c0", label=f"mean of {window} steps")
    ax.set_xlabel("optimizer step (2 trajectories each)")
    ax.set_ylabel("loss (assistant tokens)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)


def eval_table(paths: list[Path]) -> str:
    groups: dict[tuple[str, str, str, str], list[dict[str, object]]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            key = (str(row["method"]), str(row["root"]), str(row["family"]), str(row["size"]))
            groups.setdefault(key, []).append(row)
    lines = ["| method | model | tasks | size | n | score | median time |", "|---|---|---|---|---|---|---|"]
    for (method, root, family, size), rows in sorted(groups.items()):
        score = statistics.mean(float(r["score"]) for r in rows)  # type: ignore[arg-type]
        wall = statistics.median(float(r["wall_s"]) for r in rows)  # type: ignore[arg-type]
        lines.append(f"| {method} | {root} | {family} | {size} | {len(rows)} | {100 * score:.0f}% | {wall:.1f} s |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "loss":
        for step, loss, rate in loss_rows(Path(sys.argv[2])):
            print(f"| {step} | {loss:.3f} | {rate:.0f} |")
        if len(sys.argv) > 3:
            plot_loss(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        print(eval_table([Path(p) for p in sys.argv[2:]]))
