"""The digest's charts as PNG bytes (matplotlib, headless Agg canvas, no pyplot global state).

Labels come from trackers and config, so mathtext parsing is off: a `$` in a theme name or key
is drawn as a dollar sign, never parsed (or rejected) as math.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lpmsync.domain.digest import AllocationLine, Digest, WipLine
from lpmsync.domain.report import ItemAge

_DPI = 100
_OK, _WARN, _BAD, _TARGET = "#2e7d32", "#ef6c00", "#c62828", "#263238"
_LABEL_LIMIT = 32


def digest_charts(digest: Digest) -> dict[str, bytes]:
    """Every chart the digest has data for, by file name."""
    charts = {}
    if digest.allocation:
        charts["allocation.png"] = allocation_chart(digest.allocation)
    if any(line.value_stream is None for line in digest.wip):
        charts["wip.png"] = wip_chart(digest.wip)
    if digest.aging:
        charts["aging.png"] = aging_chart(digest.aging)
    return charts


def allocation_chart(lines: Sequence[AllocationLine]) -> bytes:
    """Each theme's share of active work as a bar; its target and tolerance as a marker."""
    figure, axes = _figure(len(lines))
    positions = range(len(lines))
    colours = [_WARN if line.off_target else _OK for line in lines]
    axes.barh(positions, [line.actual_share * 100 for line in lines], color=colours)
    for y, line in zip(positions, lines, strict=True):
        if line.target_share is not None:
            target, band = line.target_share * 100, line.tolerance * 100
            below = min(band, target)  # a share cannot go under 0%
            axes.errorbar(target, y, xerr=[[below], [band]], fmt="D", color=_TARGET, capsize=4)
    _labels(axes, [line.name for line in lines])
    axes.set_xlabel("share of active work (%); ◆ target ± tolerance")
    axes.set_title("Allocation against target")
    return _png(figure)


def wip_chart(lines: Sequence[WipLine]) -> bytes:
    """Items per state and level (whole portfolio) as bars; limits and minimums as markers."""
    rows = [line for line in lines if line.value_stream is None]
    figure, axes = _figure(len(rows))
    positions = range(len(rows))
    colours = [_BAD if r.over else _WARN if r.under else _OK for r in rows]
    axes.barh(positions, [r.count for r in rows], color=colours)
    for y, row in zip(positions, rows, strict=True):
        if row.limit is not None:
            axes.plot([row.limit, row.limit], [y - 0.4, y + 0.4], color=_TARGET, linewidth=2)
        if row.min is not None:
            axes.plot([row.min, row.min], [y - 0.4, y + 0.4], color=_TARGET, linestyle=":")
    _labels(axes, [f"{r.state} · {r.level.value}" for r in rows])
    axes.set_xlabel("items (solid line: WIP limit, dotted: minimum)")
    axes.set_title("WIP against limits")
    return _png(figure)


def aging_chart(ages: Sequence[ItemAge]) -> bytes:
    """Days in the current state of the longest-waiting items."""
    figure, axes = _figure(len(ages))
    axes.barh(range(len(ages)), [age.days for age in ages], color=_WARN)
    _labels(axes, [f"{age.key} ({age.state})" for age in ages])
    axes.set_xlabel("days in current state")
    axes.set_title("Longest in their state")
    return _png(figure)


def _figure(rows: int) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(8, max(2.5, 0.45 * rows + 1.5)), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.invert_yaxis()  # first row on top, as in the message
    axes.grid(axis="x", alpha=0.3)
    return figure, axes


def _labels(axes: Axes, labels: Sequence[str]) -> None:
    short = [
        text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 1] + "…" for text in labels
    ]
    axes.set_yticks(range(len(short)), short)
    for label in axes.get_yticklabels():
        label.set_parse_math(False)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Emoji in tracker or config labels have no glyph in the bundled font: drawn as boxes.
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        # No timestamps or version in the metadata: the same digest gives the same bytes.
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
