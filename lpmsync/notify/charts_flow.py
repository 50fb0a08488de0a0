"""The digest's flow charts as PNG bytes (matplotlib, headless Agg canvas, no pyplot state):
the cumulative flow of the portfolio Kanban, the flow-time scatter, velocity and load per level.

Labels come from trackers and config, so mathtext parsing is off everywhere.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lpmsync.domain.flow import FlowMetrics
from lpmsync.domain.model import Level

_DPI = 100
_BANDS = ("#1565c0", "#42a5f5", "#90caf9", "#ffb74d", "#ef6c00", "#8d6e63", "#26a69a", "#ab47bc")
_LEVEL_COLOURS = {Level.EPIC: "#6a1b9a", Level.FEATURE: "#00897b"}


def flow_charts(flow: FlowMetrics | None) -> dict[str, bytes]:
    """Every flow chart there is data for, by file name."""
    if flow is None or not flow.buckets:
        return {}
    charts = {"flow_cfd.png": cumulative_flow_chart(flow, Level.EPIC)}
    if flow.finished:
        charts["flow_time.png"] = flow_time_chart(flow)
    charts["flow_velocity_load.png"] = velocity_load_chart(flow)
    return charts


def cumulative_flow_chart(flow: FlowMetrics, level: Level) -> bytes:
    """Items of `level` in each active state at each bucket end, stacked: one band per state,
    the state nearest to done at the bottom."""
    figure, axes = _figure(8, 4.2)
    ends = _ends(flow)
    states = list(flow.states[level])
    bottom_up = list(reversed(states))
    axes.stackplot(
        ends,
        [flow.states[level][state] for state in bottom_up],
        labels=bottom_up,
        colors=[_BANDS[i % len(_BANDS)] for i in range(len(bottom_up))],
        alpha=0.9,
    )
    handles, labels = axes.get_legend_handles_labels()
    legend = axes.legend(handles[::-1], labels[::-1], loc="upper left", fontsize=8, frameon=False)
    _plain(legend.get_texts())
    axes.set_ylabel(f"{level.value}s in the state")
    axes.set_title(f"Cumulative flow: {level.value}s in active states, week by week")
    _date_axis(axes, flow)
    axes.set_xlim(ends[0], ends[-1])  # counted at each week's end: nothing before the first
    return _png(figure)


def flow_time_chart(flow: FlowMetrics) -> bytes:
    """Each finished item at its done date and flow time; dashed p50 and dotted p85 per level."""
    figure, axes = _figure(9, 4.2)
    for level in Level:
        done = [item for item in flow.finished if item.level is level]
        if not done:
            continue
        colour = _LEVEL_COLOURS[level]
        axes.scatter(
            _days(flow, [item.done_at for item in done]),
            [item.days for item in done],
            s=14,
            color=colour,
            alpha=0.55,
            label=f"{level.value}s ({len(done)})",
        )
        time = flow.flow_time[level]
        for value, style, name in ((time.p50, "--", "50%"), (time.p85, ":", "85%")):
            if value is not None:
                label = f"{level.value}s {name} within {value:.1f} days"
                axes.axhline(value, color=colour, linestyle=style, linewidth=1.6, label=label)
    axes.set_ylabel("days from start to done")
    axes.set_ylim(bottom=0)
    axes.set_title("Flow time of items finished in the window")
    legend = axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    _plain(legend.get_texts())
    _date_axis(axes, flow)
    return _png(figure)


def velocity_load_chart(flow: FlowMetrics) -> bytes:
    """Small multiples: velocity (finished per week) and load (in progress at the week's end),
    one column per level, weeks on a shared axis."""
    figure = Figure(figsize=(8, 4.8), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.subplots(2, len(Level), sharex=True, squeeze=False)
    starts = _days(flow, flow.buckets)
    for column, level in enumerate(Level):
        colour = _LEVEL_COLOURS[level]
        velocity, load = grid[0][column], grid[1][column]
        velocity.bar(
            [x + 0.5 for x in starts], flow.velocity[level], width=6, align="edge", color=colour
        )
        velocity.set_title(f"{level.value}s finished per week", fontsize=10)
        load.plot(_ends(flow), flow.load[level], color=colour, marker="o", markersize=3)
        load.set_title(f"{level.value}s in progress at week's end", fontsize=10)
        load.set_ylim(bottom=0)
        for axes in (velocity, load):
            axes.grid(axis="y", alpha=0.3)
            _date_axis(axes, flow)
    figure.suptitle(f"Velocity and load over the last {flow.window_weeks} weeks")
    return _png(figure)


def _ends(flow: FlowMetrics) -> list[float]:
    return _days(flow, [start + timedelta(days=7) for start in flow.buckets])


def _days(flow: FlowMetrics, moments: Sequence[datetime]) -> list[float]:
    """Days since the window began: the x axis of every flow chart (ticks name the dates)."""
    start = flow.buckets[0]
    return [(moment - start).total_seconds() / 86_400 for moment in moments]


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.grid(alpha=0.3)
    return figure, axes


def _date_axis(axes: Axes, flow: FlowMetrics) -> None:
    """Ticks at each week's end, labelled with its date; every other one past eight weeks."""
    ends = [start + timedelta(days=7) for start in flow.buckets]
    step = 1 if len(ends) <= 8 else 2
    shown = ends[::-1][::step][::-1]
    axes.set_xticks(_days(flow, shown), [f"{end:%d %b}" for end in shown])
    axes.set_xlim(0, 7 * len(ends) + 0.5)
    for label in axes.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
        label.set_fontsize(8)


def _plain(texts: Sequence[object]) -> None:
    for text in texts:
        text.set_parse_math(False)  # type: ignore[attr-defined]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        figure.savefig(buffer, format="png", metadata={"Software": None})  # same data, same bytes
    return buffer.getvalue()
