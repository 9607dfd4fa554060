"""A run's charts written to a PNG or SVG file with matplotlib: the same figures as the app's Analysis tab
(tokens, cost and sub-calls per iteration; the call waterfall), for reports, the CLI and benchmarks.

Draws on a `matplotlib.figure.Figure` with the Agg canvas directly, never through pyplot, so no GUI
backend is chosen or started (the same effect as `matplotlib.use("Agg")`, without changing global
state in a process that may also run the Qt app)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rlm_studio.engine.events import Event

from .chart_figures import BAND_COLOURS, LANE_HEIGHT, BarSeries, RunCharts, call_colour, legend, run_charts
from .open_run import OpenRun

FORMATS = ("png", "svg")


def figure_format(path: str | Path) -> str:
    """"png" or "svg" from the file name; ValueError (a one-line message) for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"a chart file must end in .png or .svg, not {Path(path).name!r}")
    return suffix


def write_run_figure(source: OpenRun | Iterable[Event | dict[str, Any]], path: str | Path, *,
                     title: str = "", dpi: int = 110) -> Path:
    """Write the run's charts (an OpenRun, or its events) to `path` (.png or .svg); returns the path."""
    fmt = figure_format(path)
    run = source if isinstance(source, OpenRun) else OpenRun.from_events(source)
    figure = build_figure(run_charts(run), title=title)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    out = Path(path)
    with rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, and editable in reports
        figure.savefig(out, format=fmt, dpi=dpi)
    return out


def build_figure(charts: RunCharts, *, title: str = "") -> Any:
    """A matplotlib Figure: three bar charts in a row, the waterfall under them."""
    from matplotlib.figure import Figure

    waterfall = charts.waterfall
    lanes = max(1, waterfall.lanes)
    timeline_height = min(9.0, 1.2 + 0.28 * lanes)
    figure = Figure(figsize=(12.0, 3.2 + timeline_height), layout="constrained")
    grid = figure.add_gridspec(2, 3, height_ratios=[3.0, timeline_height])
    for column, series in enumerate((charts.tokens, charts.cost, charts.subcalls)):
        _bars(figure.add_subplot(grid[0, column]), series)
    _waterfall(figure.add_subplot(grid[1, :]), charts)
    figure.suptitle(title or charts.summary(), fontsize=11)
    return figure


def _bars(axes: Any, series: BarSeries) -> None:
    axes.set_title(series.title, fontsize=10, loc="left")
    x = list(range(1, len(series.labels) + 1))
    bottom = [0.0] * len(x)
    for part, (name, colour) in enumerate(series.parts):
        heights = [v[part] for v in series.values]
        axes.bar(x, heights, bottom=bottom, color=colour, label=name, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_xticks(x, series.labels)
    axes.set_xlabel("iteration", fontsize=9)
    axes.grid(axis="y", color="#eeeeee")
    axes.set_axisbelow(True)
    if len(series.parts) > 1:
        axes.legend(fontsize=8, loc="upper left")
    if not series.values or max(series.totals, default=0) <= 0:
        axes.set_ylim(0, 1)
        axes.set_yticks([])
        axes.text(0.5, 0.5, series.empty_text if series.values else "No iterations yet",
                  transform=axes.transAxes, ha="center", va="center", color="#757575")
    for i, note in enumerate(series.notes):
        if note:
            axes.annotate("?", (x[i], bottom[i]), ha="center", va="bottom", color="#c62828")


def _waterfall(axes: Any, charts: RunCharts) -> None:
    w = charts.waterfall
    axes.set_title(w.title(), fontsize=10, loc="left")
    for n, (label, start, end) in enumerate(w.bands):
        axes.axvspan(start, end, color=BAND_COLOURS[n % 2], zorder=0)
        axes.text(start, -0.6, " " + label, fontsize=7, color="#90a4ae", va="bottom")
    groups: dict[tuple[str, int], list[tuple[float, float]]] = {}
    shortest = max(w.duration_s, 1e-3) / 400   # an instant call still shows as a sliver
    for bar in w.bars:
        span = (bar["start_s"], max(bar["end_s"] - bar["start_s"], shortest))
        groups.setdefault((call_colour(bar), bar["lane"]), []).append(span)
    for (colour, lane), spans in groups.items():  # one collection per colour and lane: fast with 10k+ calls
        axes.broken_barh(spans, (lane - LANE_HEIGHT / 2, LANE_HEIGHT), facecolors=colour, zorder=2)
    lanes = max(1, w.lanes)
    axes.set_ylim(lanes - 0.5, -0.7)
    axes.set_yticks(range(lanes), [f"lane {i + 1}" for i in range(lanes)] if lanes <= 40 else [""] * lanes)
    axes.set_xlim(0, max(w.duration_s, 1e-3))
    axes.set_xlabel("seconds from the start of the run", fontsize=9)
    from matplotlib.patches import Patch

    axes.legend(handles=[Patch(color=c, label=n) for n, c in legend(w)], fontsize=8, loc="lower right",
                bbox_to_anchor=(1.0, 1.0), ncols=len(legend(w)), frameon=False, borderaxespad=0.1)
    if not w.bars:
        axes.text(0.5, 0.5, "No model calls yet", transform=axes.transAxes, ha="center", va="center",
                  color="#757575")
