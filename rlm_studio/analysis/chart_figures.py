"""The figures of a run's charts as plain data, shared by the app's interactive charts (pyqtgraph) and the
files written with matplotlib: the per-iteration bars, the call waterfall with its colours, the iteration
bands behind it, hover read-outs, and finding the call under a point. No drawing library here."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from .charts import call_timeline, iteration_series
from .open_run import OpenRun
from .totals import ERROR_STATUSES, Totals

CALL_COLOURS = {"model_call": "#1565c0", "subcall": "#2e7d32"}
CHILD_COLOURS = {"model_call": "#5e35b1", "subcall": "#00897b"}   # calls made inside child runs
ERROR_COLOUR = "#c62828"
OTHER_COLOUR = "#616161"
BAND_COLOURS = ("#eef3fa", "#ffffff")
TOKEN_PARTS = (("input", "#1e88e5"), ("output", "#fb8c00"))
COST_COLOUR = "#8e24aa"
SUBCALL_COLOUR = "#2e7d32"
LANE_HEIGHT = 0.8   # of one lane's height, in the waterfall


@dataclass(frozen=True)
class BarSeries:
    """One chart of stacked bars, one bar per root iteration: `values[i]` are bar i's parts, bottom first."""

    title: str
    parts: tuple[tuple[str, str], ...]        # (name, colour) of each stacked part
    labels: list[str]
    values: list[list[float]]
    node_ids: list[str]
    notes: list[str]                          # per bar: extra text for the read-out ("" none)
    unit: str = ""                            # "tokens", "USD", "sub-calls"
    empty_text: str = "Nothing to show"

    @property
    def totals(self) -> list[float]:
        return [sum(v) for v in self.values]

    def readout(self, i: int) -> str:
        """What hovering bar `i` says."""
        lines = [f"Iteration {self.labels[i]}"]
        lines += [f"{name}: {format_value(v, self.unit)}" for (name, _), v in zip(self.parts, self.values[i])]
        if self.notes[i]:
            lines.append(self.notes[i])
        return "\n".join(lines)


@dataclass(frozen=True)
class Waterfall:
    """Every model call and sub-call as a bar in a lane (calls that overlapped sit in different lanes)."""

    bars: list[dict[str, Any]]                # analysis.charts.call_timeline bars, by start
    lanes: int
    max_parallel: int
    duration_s: float
    bands: list[tuple[str, float, float]]     # (label, start s, end s) of each root iteration
    _by_lane: dict[int, tuple[list[float], list[int]]] = field(default_factory=dict, repr=False, compare=False)

    def title(self) -> str:
        return f"Call timeline — {len(self.bars)} calls, up to {self.max_parallel} at once"

    def bar_at(self, seconds: float, lane_y: float, slack_s: float = 0.0) -> dict[str, Any] | None:
        """The call drawn at time `seconds` in the lane row at height `lane_y` (lane i spans i ± 0.4);
        `slack_s` widens very short bars (e.g. one pixel's worth of time). O(log n) per lookup."""
        lane = round(lane_y)
        if abs(lane_y - lane) > LANE_HEIGHT / 2 or lane not in self._index():
            return None
        starts, order = self._index()[lane]
        # a lane's calls do not overlap: the call under the point is the last one starting before it
        i = bisect_right(starts, seconds) - 1
        before = self.bars[order[i]] if i >= 0 else None
        if before is not None and before["end_s"] >= seconds:
            return before
        after = self.bars[order[i + 1]] if i + 1 < len(order) else None
        gap_before = seconds - before["end_s"] if before is not None else float("inf")
        gap_after = after["start_s"] - seconds if after is not None else float("inf")
        if min(gap_before, gap_after) > slack_s:
            return None
        return before if gap_before <= gap_after else after

    def _index(self) -> dict[int, tuple[list[float], list[int]]]:
        if not self._by_lane and self.bars:
            for n, bar in enumerate(self.bars):
                starts, order = self._by_lane.setdefault(bar["lane"], ([], []))
                starts.append(bar["start_s"])
                order.append(n)
        return self._by_lane


@dataclass(frozen=True)
class RunCharts:
    """Every figure of one run's charts."""

    tokens: BarSeries
    cost: BarSeries
    subcalls: BarSeries
    waterfall: Waterfall
    series: list[dict[str, Any]]              # analysis.charts.iteration_series rows
    totals: Totals                            # the run's (its counts in the summary line)

    def summary(self, bold: bool = False) -> str:
        """'N iterations · M calls · up to K at once · S s' (`bold`: the numbers in <b> for a rich-text label)."""
        w, t = self.waterfall, self.totals
        b = (lambda v: f"<b>{v}</b>") if bold else str
        return (f"{b(t.iterations)} iterations · {b(t.model_calls)} calls · up to {b(w.max_parallel)} at once"
                f" · {w.duration_s:.2f} s")


def run_charts(run: OpenRun) -> RunCharts:
    """The charts of the open run (a run still going is fine); ValueError when nothing has started."""
    tree = run.tree
    if tree.root_id is None:
        raise ValueError("these events hold no run to chart (no run_started event)")
    events = run.events
    series = iteration_series(events, tree=tree)
    timeline = call_timeline(events, tree=tree)
    labels = [str(row["iteration"]) for row in series]
    node_ids = [row["node_id"] for row in series]
    blank = [""] * len(series)
    tokens = BarSeries("Tokens per iteration", TOKEN_PARTS, labels,
                       [[r["input_tokens"], r["output_tokens"]] for r in series], node_ids, blank, "tokens",
                       "No tokens reported")
    cost = BarSeries("Cost per iteration (USD)", (("cost", COST_COLOUR),), labels,
                     [[r["known_cost_usd"]] for r in series], node_ids,
                     ["Some prices in this iteration are unknown: the bar shows the priced part."
                      if r["cost_usd"] is None else "" for r in series], "USD", "No cost: every call was free")
    subcalls = BarSeries("Sub-calls per iteration", (("sub-calls", SUBCALL_COLOUR),), labels,
                         [[r["subcalls"]] for r in series], node_ids, blank, "sub-calls", "No sub-calls")
    t0 = min(e.ts for e in events)
    last = max(e.ts for e in events)
    bands = []
    for row in series:
        node = tree.node(row["node_id"])
        end = node.ended_ts if node.ended_ts is not None else last
        bands.append((f"it {row['iteration']}", node.started_ts - t0, end - t0))
    waterfall = Waterfall(timeline["bars"], timeline["lanes"], timeline["max_parallel"], timeline["duration_s"], bands)
    return RunCharts(tokens, cost, subcalls, waterfall, series, tree.totals())


def call_colour(bar: dict[str, Any]) -> str:
    """The colour of a call in the waterfall: errors red, child runs' calls in their own colours."""
    if bar.get("status") in ERROR_STATUSES:
        return ERROR_COLOUR
    colours = CHILD_COLOURS if bar.get("depth", 0) > 0 else CALL_COLOURS
    return colours.get(str(bar.get("kind")), OTHER_COLOUR)


def legend(waterfall: Waterfall) -> list[tuple[str, str]]:
    """(name, colour) of what the waterfall can show."""
    entries = [("root model", CALL_COLOURS["model_call"]), ("sub-call", CALL_COLOURS["subcall"])]
    if any(b.get("depth", 0) > 0 for b in waterfall.bars):
        entries += [("child root", CHILD_COLOURS["model_call"]), ("child sub-call", CHILD_COLOURS["subcall"])]
    entries.append(("error", ERROR_COLOUR))
    return entries


def call_readout(bar: dict[str, Any]) -> str:
    """What hovering a call says: what it was, when, how long, where, how it ended."""
    took = bar["end_s"] - bar["start_s"]
    lines = [f"{bar['label']}" + (f" — {short_model(bar['model'])}" if bar.get("model") else ""),
             f"{bar['start_s']:.3f} s → {bar['end_s']:.3f} s ({format_seconds(took)})"
             + (" so far" if bar.get("running") else "")]
    where = [f"iteration {bar['iteration']}"] if bar.get("iteration") else []
    if bar.get("depth"):
        where.append(f"depth {bar['depth']}")
    where.append(f"lane {bar['lane'] + 1}")
    lines.append(", ".join(where))
    lines.append(str(bar.get("status", "")).replace("_", " "))
    return "\n".join(lines)


def short_model(spec: str) -> str:
    """script:/long/path/root.json -> script:root.json (the full spec is in the run view)."""
    return "script:" + spec.rsplit("/", 1)[-1] if spec.startswith("script:") and "/" in spec else spec


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def format_value(value: float, unit: str) -> str:
    if unit == "USD":
        if value == 0:
            return "$0"
        return f"${value:.5f}" if value < 0.01 else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
    return f"{value:,.0f}" + (f" {unit}" if unit else "")
