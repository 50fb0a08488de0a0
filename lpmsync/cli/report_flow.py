"""`lpmsync report --flow`: the flow metrics and forecasts as tables (docs/report.md, `flow`)."""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from lpmsync.domain.flow import FlowMetrics
from lpmsync.domain.model import Level

_FIGURE_NAMES = {"velocity": "velocity", "load": "load", "flow_time": "flow time and efficiency"}


def render_flow(flow: FlowMetrics | None, generated_at: datetime) -> RenderableType:
    if flow is None:
        return Text("No flow metrics in this report.")
    parts: list[RenderableType] = [
        Text(
            f"Flow over the last {flow.window_weeks} weeks "
            f"(as of {generated_at:%Y-%m-%d %H:%M} UTC)"
        ),
        _weeks(flow),
        _times(flow),
        _distribution(flow),
        _forecasts(flow),
        _left_out(flow),
    ]
    return Group(*parts)


def _weeks(flow: FlowMetrics) -> Table:
    table = Table(
        title="per week: finished (velocity) and in progress at its end (load)",
        title_justify="left",
    )
    table.add_column("week from")
    for name in ("finished epics", "finished features", "epic load", "feature load"):
        table.add_column(name, justify="right")
    for index, start in enumerate(flow.buckets):
        table.add_row(
            f"{start:%Y-%m-%d}",
            str(flow.velocity[Level.EPIC][index]),
            str(flow.velocity[Level.FEATURE][index]),
            str(flow.load[Level.EPIC][index]),
            str(flow.load[Level.FEATURE][index]),
        )
    return table


def _times(flow: FlowMetrics) -> Table:
    table = Table(title="flow time in days (items finished in the window)", title_justify="left")
    table.add_column("level")
    for name in ("finished", "50%", "85%", "95%", "efficiency"):
        table.add_column(name, justify="right")
    for level in Level:
        time, efficiency = flow.flow_time[level], flow.efficiency[level]
        table.add_row(
            level.value,
            str(time.n),
            _number(time.p50),
            _number(time.p85),
            _number(time.p95),
            "—" if efficiency is None else f"{efficiency:.1%}",
        )
    return table


def _distribution(flow: FlowMetrics) -> Table:
    table = Table(title="distribution of active work by theme", title_justify="left")
    table.add_column("theme")
    table.add_column("share", justify="right")
    for theme, share in flow.distribution.items():
        table.add_row(escape(theme), f"{share:.1%}")
    return table


def _forecasts(flow: FlowMetrics) -> Table:
    table = Table(title="forecasts for epics in progress (Monte Carlo)", title_justify="left")
    for name in ("epic", "value stream", "features left", "50% by", "85% by", "target"):
        table.add_column(name, justify="right" if name == "features left" else "left")
    for forecast in flow.forecasts:
        late = (
            forecast.target_date is not None
            and forecast.p85 is not None
            and (forecast.p85 > forecast.target_date)
        )
        table.add_row(
            escape(f"{forecast.source}:{forecast.key}"),
            escape(forecast.value_stream or "whole portfolio"),
            str(forecast.remaining),
            _day(forecast.p50),
            Text(_day(forecast.p85), style="bold red" if late else ""),
            _day(forecast.target_date),
        )
    return table


def _left_out(flow: FlowMetrics) -> RenderableType:
    if not any(count for counts in flow.left_out.values() for count in counts.values()):
        return Text("Every item had the state history each figure needs.")
    table = Table(title="items left out for lack of state history", title_justify="left")
    table.add_column("figure")
    table.add_column("epics", justify="right")
    table.add_column("features", justify="right")
    for figure, counts in flow.left_out.items():
        table.add_row(
            _FIGURE_NAMES.get(figure, figure),
            str(counts[Level.EPIC]),
            str(counts[Level.FEATURE]),
        )
    return table


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _day(value: date | None) -> str:
    return "unknown" if value is None else f"{value:%Y-%m-%d}"
