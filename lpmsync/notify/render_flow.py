"""The digest's flow part as Slack blocks: each epic in progress and when it is likely done.
Pure: stdlib and domain only; tracker text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from lpmsync.domain.digest import Digest
from lpmsync.domain.flow import FlowMetrics, Forecast
from lpmsync.notify.blocks import Block, context, escaped, link, section

LINES_PER_SECTION = 10
MAX_FORECASTS = 30  # the rest: `lpmsync report --flow`
_TITLE_LIMIT = 80


def flow_blocks(digest: Digest, *, charts: bool = True) -> list[list[Block]]:
    """Chunks (each may start a new message part): the forecasts, what was left out, and where
    the flow charts are."""
    flow = digest.flow
    if flow is None:
        return []
    lines = [forecast_line(f, digest.taken_at) for f in _ranked(flow.forecasts)[:MAX_FORECASTS]]
    heading = f"*Forecasts for epics in progress* ({len(flow.forecasts)})"
    if len(flow.forecasts) > MAX_FORECASTS:
        heading += (
            f", showing {MAX_FORECASTS}: late ones first, then the latest"
            " (`lpmsync report --flow` lists all)"
        )
    chunks = _sections(heading, lines or ["_none_"])
    notes = [note] if (note := left_out_note(flow)) else []
    if charts:
        notes.append("📈 Flow charts (cumulative flow, flow time, velocity and load) too.")
    if notes:
        chunks.append([context(notes)])
    return chunks


def forecast_line(forecast: Forecast, now: datetime) -> str:
    """'⚠️ Late: <url|PORT-12> Title — *85% likely by 12 Mar* (50%: 26 Feb) · 4 features left ·
    target 1 Mar'. "Late" (and the warning sign) marks an 85% date after the target date."""
    name = f"{link(forecast.url, forecast.key)} {escaped(forecast.title, _TITLE_LIMIT)}"
    if forecast.p85 is None:
        when = "no forecast yet: no feature of its value stream finished in the window"
    else:
        when = f"*85% likely by {day(forecast.p85, now)}*"
        if forecast.p50 is not None:
            when += f" (50%: {day(forecast.p50, now)})"
    target = forecast.target_date
    late = target is not None and forecast.p85 is not None and forecast.p85 > target
    lead = "⚠️ Late:" if late else "🗓️"
    left = f"{forecast.remaining} feature{'' if forecast.remaining == 1 else 's'} left"
    parts = [f"{lead} {name} — {when}", left]
    if target is not None:
        parts.append(f"target {day(target, now)}")
    return " · ".join(parts)


def day(value: date, now: datetime) -> str:
    """'12 Mar', with the year when it is not this year's."""
    text = f"{value.day} {value:%b}"
    return text if value.year == now.year else f"{text} {value.year}"


def left_out_note(flow: FlowMetrics) -> str | None:
    counts = {figure: sum(by_level.values()) for figure, by_level in flow.left_out.items()}
    if not any(counts.values()):
        return None
    named = ", ".join(f"{figure.replace('_', ' ')} {count}" for figure, count in counts.items())
    return f"Items left out for lack of state history: {named}."


def _ranked(forecasts: Sequence[Forecast]) -> list[Forecast]:
    """Late ones first (by how late), then the latest 85% dates; unknown ones last."""

    def order(forecast: Forecast) -> tuple[int, int, str, str]:
        if forecast.p85 is None:
            return (2, 0, forecast.source, forecast.key)
        target = forecast.target_date
        if target is not None and forecast.p85 > target:
            return (0, -(forecast.p85 - target).days, forecast.source, forecast.key)
        return (1, -forecast.p85.toordinal(), forecast.source, forecast.key)

    return sorted(forecasts, key=order)


def _sections(heading: str, lines: Sequence[str]) -> list[list[Block]]:
    chunks: list[list[Block]] = []
    current = [heading]
    for line in lines:
        if len(current) >= LINES_PER_SECTION:
            chunks.append([section("\n".join(current))])
            current = []
        current.append(line)
    chunks.append([section("\n".join(current))])
    return chunks
