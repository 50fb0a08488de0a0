"""The digest's charts as PNG bytes (matplotlib, headless Agg canvas, no pyplot global state).

Each chart says its point in its title and labels every bar with its value, so it reads at a
glance on a phone: WIP per level in the active states with limits, minimums and value-stream
limits; each theme's share (and the unaligned share) against its target band with the last weeks'
trend; the oldest items against their state's age limit. Layout helpers: `charts_style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.patches import Patch

from lpmsync.domain.digest import AllocationLine, Digest, WipLine
from lpmsync.domain.model import Level
from lpmsync.domain.report import ItemAge
from lpmsync.notify import charts_style as style


def digest_charts(digest: Digest) -> dict[str, bytes]:
    """Every chart the digest has data for, by file name."""
    charts = {}
    if digest.allocation:
        charts["allocation.png"] = allocation_chart(digest.allocation)
    if digest.wip:
        charts["wip.png"] = wip_chart(digest.wip)
    if digest.aging:
        charts["aging.png"] = aging_chart(digest.aging, digest.aging_limits)
    return charts


def allocation_chart(lines: Sequence[AllocationLine]) -> bytes:
    """Each theme's share of active work, its target band, and its share in earlier weeks."""
    off = sum(line.off_target for line in lines if not line.retired)
    title = (
        f"Allocation: {off} theme{'s' if off != 1 else ''} off target"
        if off
        else ("Allocation: every theme on target")
    )
    fig, [axes] = style.figure([len(lines)], title, style.WARN if off else style.OK)
    for y, line in enumerate(lines):
        _allocation_row(axes, y, line)
    style.labels(axes, [_theme_label(line) for line in lines])
    top = max([line.actual_share for line in lines] + [_band_top(line) for line in lines])
    axes.set_xlim(0, min(100, top * 100) * 1.25 + 22)
    axes.set_xlabel("% of active work", fontsize=style.FONT)
    axes.legend(
        handles=[
            Patch(color=style.BAND, alpha=0.6),
            Patch(facecolor=style.RETIRED, hatch="///", edgecolor="white"),
            axes.plot([], [], "o-", color=style.MARK, mfc="white", ms=4, lw=0.8)[0],
        ],
        labels=["target ± tolerance", "retired theme", "earlier weeks"],
        fontsize=style.FONT - 2,
        loc="upper center",
        bbox_to_anchor=(0.4, -0.22),
        ncol=3,
        frameon=False,
        handlelength=1.4,
        columnspacing=1.0,
    )
    return style.png(fig)


def _allocation_row(axes: Axes, y: int, line: AllocationLine) -> None:
    if line.target_share is not None and not line.retired:  # a retired theme has no guardrail
        low = max(line.target_share - line.tolerance, 0) * 100
        high = min(line.target_share + line.tolerance, 1) * 100
        axes.barh(y, high - low, left=low, height=0.9, color=style.BAND, alpha=0.6)
    colour, hatch = _allocation_colour(line)
    share = line.actual_share * 100
    axes.barh(y, share, height=0.55, color=colour, hatch=hatch, edgecolor="white")
    if line.trend:
        weeks = [*line.trend, line.actual_share]
        xs = [share_ * 100 for share_ in weeks]
        ys = [y + 0.36] * len(xs)
        axes.plot(xs, ys, "-", color=style.MARK, lw=0.8)
        axes.plot(xs[:-1], ys[:-1], "o", color=style.MARK, mfc="white", ms=4)
    text = f"{share:.0f}%"
    if line.retired:
        text += " · retired"
    elif line.target_share is not None:
        text += f" · target {line.target_share * 100:.0f}%"
    style.value_label(axes, max(share, _band_top(line) * 100), y, text, colour=_text_colour(line))


def _allocation_colour(line: AllocationLine) -> tuple[str, str | None]:
    if line.unaligned:
        return style.UNALIGNED, None
    if line.retired:
        return style.RETIRED, "///"
    if line.target_share is None:
        return style.RETIRED, None
    return (style.WARN if line.off_target else style.OK), None


def _text_colour(line: AllocationLine) -> str:
    return style.WARN if line.off_target and not line.retired else style.MARK


def _band_top(line: AllocationLine) -> float:
    return 0.0 if line.target_share is None else min(line.target_share + line.tolerance, 1)


def _theme_label(line: AllocationLine) -> str:
    return "Unaligned" if line.unaligned else line.name


def wip_chart(lines: Sequence[WipLine]) -> bytes:
    """Items per active state, one panel per level; limits, minimums and value streams marked."""
    levels = [level for level in Level if any(line.level is level for line in lines)]
    panels = [_wip_rows(lines, level) for level in levels]
    breaches = sum(line.over for line in lines)
    title = (
        f"WIP: {breaches} limit{'s' if breaches != 1 else ''} exceeded"
        if breaches
        else "WIP: every limit respected"
    )
    fig, axes_list = style.figure(
        [len(rows) for rows in panels], title, style.BAD if breaches else style.OK
    )
    for axes, level, rows in zip(axes_list, levels, panels, strict=True):
        _wip_panel(axes, level, rows)
    axes_list[-1].set_xlabel("items (solid line: WIP limit · dotted: minimum)", fontsize=style.FONT)
    return style.png(fig)


def _wip_rows(lines: Sequence[WipLine], level: Level) -> list[WipLine]:
    """The level's states in order, each followed by its value streams' own limits."""
    mine = [line for line in lines if line.level is level]
    rows = []
    for line in (line for line in mine if line.value_stream is None):
        rows.append(line)
        rows += [s for s in mine if s.value_stream is not None and s.state == line.state]
    return rows


def _wip_panel(axes: Axes, level: Level, rows: Sequence[WipLine]) -> None:
    axes.set_title(f"{level.value.capitalize()}s", fontsize=style.FONT + 1, loc="left")
    for y, row in enumerate(rows):
        colour = style.BAD if row.over else style.UNDER if row.under else style.OK
        axes.barh(y, row.count, height=0.6, color=colour, alpha=0.55 if row.value_stream else 1)
        if row.limit is not None:
            style.tick(axes, row.limit, y)
        if row.min is not None:
            style.tick(axes, row.min, y, dotted=True)
        end = max(row.count, row.limit or 0, row.min or 0)
        style.value_label(axes, end, y, _wip_text(row), style.BAD if row.over else style.MARK)
    style.labels(
        axes, [f"  ↳ {row.value_stream}" if row.value_stream else row.state for row in rows]
    )
    widest = max((max(r.count, r.limit or 0, r.min or 0) for r in rows), default=1)
    axes.set_xlim(0, widest * 1.45 + 1)


def _wip_text(row: WipLine) -> str:
    if row.over and row.limit is not None:
        return f"{row.count} / {row.limit}: {row.count - row.limit} over"
    if row.under and row.min is not None:
        return f"{row.count} (min {row.min})"
    return f"{row.count}" + (f" / {row.limit}" if row.limit is not None else "")


def aging_chart(ages: Sequence[ItemAge], limits: Mapping[str, int] | None = None) -> bytes:
    """Days each of the longest-waiting items has spent in its state, against that state's limit."""
    limits = limits or {}
    over = sum(1 for age in ages if age.state in limits and age.days > limits[age.state])
    title = (
        f"Longest in their state: {over} over the age limit" if over else ("Longest in their state")
    )
    fig, [axes] = style.figure([len(ages)], title, style.BAD if over else style.MARK)
    for y, age in enumerate(ages):
        limit = limits.get(age.state)
        late = limit is not None and age.days > limit
        axes.barh(y, age.days, height=0.6, color=style.BAD if late else style.WARN)
        if limit is not None:
            style.tick(axes, limit, y)
        text = f"{age.days} d" + (f" (limit {limit})" if limit is not None else "")
        style.value_label(axes, max(age.days, limit or 0), y, text, style.MARK)
    style.labels(axes, [f"{age.key} · {age.state}" for age in ages], limit=26)
    widest = max((max(age.days, limits.get(age.state, 0)) for age in ages), default=1)
    axes.set_xlim(0, widest * 1.45 + 1)
    axes.set_xlabel("days in current state (line: the state's age limit)", fontsize=style.FONT)
    return style.png(fig)
