"""What every digest chart shares: phone-width figures, colours, labels, value labels, PNG output.

Figures are 5 inches wide at 160 dpi (800 px): shown 400 px wide in a phone's Slack client, a
10 pt label is still about 11 px tall. Labels come from trackers and config, so mathtext parsing
is off: a `$` is drawn as a dollar sign, never parsed (or rejected) as math.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 160
WIDTH_INCHES = 5.0
ROW_INCHES = 0.36
FONT = 10
OK, WARN, BAD, UNDER = "#2e7d32", "#ef6c00", "#c62828", "#1565c0"
MARK, RETIRED, UNALIGNED, BAND = "#263238", "#9e9e9e", "#546e7a", "#a5d6a7"
LABEL_LIMIT = 24


def figure(rows: Sequence[int], title: str, title_colour: str = MARK) -> tuple[Figure, list[Axes]]:
    """A figure with one stacked panel per entry of `rows` (its number of bars)."""
    height = 0.9 + sum(ROW_INCHES * max(n, 1) + 0.55 for n in rows)
    fig = Figure(figsize=(WIDTH_INCHES, max(2.2, height)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=FONT + 2, fontweight="bold", color=title_colour)
    grid = fig.add_gridspec(len(rows), 1, height_ratios=[max(n, 1) + 1.2 for n in rows])
    panels = []
    for index in range(len(rows)):
        axes = fig.add_subplot(grid[index])
        axes.invert_yaxis()  # first row on top, as in the message
        axes.grid(axis="x", alpha=0.3)
        axes.tick_params(labelsize=FONT)
        axes.spines[["top", "right"]].set_visible(False)
        panels.append(axes)
    return fig, panels


def labels(axes: Axes, texts: Sequence[str], *, limit: int = LABEL_LIMIT) -> None:
    short = [text if len(text) <= limit else text[: limit - 1] + "…" for text in texts]
    axes.set_yticks(range(len(short)), short)
    for label in axes.get_yticklabels():
        label.set_parse_math(False)


def tick(axes: Axes, x: float, y: float, *, dotted: bool = False) -> None:
    """A vertical marker across one bar: a limit (solid) or a minimum (dotted)."""
    style = ":" if dotted else "-"
    axes.plot([x, x], [y - 0.42, y + 0.42], color=MARK, linewidth=2.2, linestyle=style)


def value_label(axes: Axes, x: float, y: float, text: str, colour: str = MARK) -> None:
    bold = "bold" if colour == BAD else "normal"
    axes.annotate(
        text,
        (x, y),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=FONT - 1,
        color=colour,
        fontweight=bold,
    ).set_parse_math(False)


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Emoji in tracker or config labels have no glyph in the bundled font: drawn as boxes.
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        # No timestamps or version in the metadata: the same digest gives the same bytes.
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
