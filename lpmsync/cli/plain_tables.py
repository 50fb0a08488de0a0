"""Tables as plain text, character for character as Rich draws them off a terminal (no box, no
edge padding, natural width), without Rich's layout engine: `lpmsync report` prints about a
thousand cells, which Rich measures, wraps, pads and crops one by one (about 60 ms, a tenth of
the command). Anything drawn here is drawn the way Rich would draw it; anything Rich would lay
out differently (a cell with a line break, a tab or a control character, a column with a fixed
width, a table wider than the console) returns None, and Rich draws it.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

_JUSTIFIED = ("left", "right", "center")


def plain_text(renderable: object, width: int, console: Console) -> str | None:
    """The text Rich prints for `renderable` (a Table, a Text or a Group of them) at `width`
    without colour, or None where only Rich can say."""
    if isinstance(renderable, Group):
        parts = [plain_text(part, width, console) for part in renderable.renderables]
        texts = [part for part in parts if part is not None]
        return "".join(texts) if len(texts) == len(parts) else None
    if isinstance(renderable, Table):
        lines = table_lines(renderable, width, console)
        return None if lines is None else "".join(f"{line}\n" for line in lines)
    if isinstance(renderable, Text):
        return _free_text(renderable, width)
    return None


def _free_text(text: Text, width: int) -> str | None:
    plain = text.plain
    if text.justify not in (None, "default") or text.end != "\n" or not plain.isprintable():
        return None
    return plain + "\n" if cell_len(plain) <= width else None


def table_lines(table: Table, width: int, console: Console) -> list[str] | None:
    """The lines of a box-less, edge-less table, or None if it is not one this module draws."""
    if not _simple(table):
        return None
    columns: list[list[str]] = []
    for column in table.columns:
        cells = [_cell_text(cell, console) for cell in (column.header, *column.cells)]
        texts = [cell for cell in cells if cell is not None]
        if len(texts) < len(cells):
            return None
        columns.append(texts)
    pads = [_pads(index, len(columns)) for index in range(len(columns))]
    widths = [
        max(cell_len(cell) for cell in cells) + left + right or 1
        for cells, (left, right) in zip(columns, pads, strict=True)
    ]
    table_width = sum(widths)
    if table_width > width:
        return None  # Rich would shrink and wrap columns
    rows = []
    for row in zip(*columns, strict=True):
        line = ""
        for cell, column, column_width, (left, right) in zip(
            row, table.columns, widths, pads, strict=True
        ):
            line += " " * left + _justify(cell, column.justify, column_width - left - right)
            line += " " * right
        rows.append(line)
    title = _annotation(table.title, table.title_justify, table_width, console)
    caption = _annotation(table.caption, table.caption_justify, table_width, console)
    if title is None or caption is None:
        return None
    return [*title, *rows, *caption]


def _simple(table: Table) -> bool:
    """A table whose layout is only its cells' widths: Rich's other options are not drawn here."""
    plain_layout = (
        table.box is None
        and not table.show_edge
        and not table.pad_edge
        and tuple(table.padding) == (0, 1, 0, 1)
        and not table.collapse_padding
        and table.show_header
        and not table.show_footer
        and not table.expand
        and table.width is None
        and table.min_width is None
        and bool(table.columns)
    )
    return plain_layout and all(
        column.width is None
        and column.min_width is None
        and column.max_width is None
        and column.ratio is None
        and column.justify in _JUSTIFIED
        for column in table.columns
    )


def _pads(index: int, count: int) -> tuple[int, int]:
    """Left and right padding of column `index`: one space, none at the table's edges."""
    return (0 if index == 0 else 1), (0 if index == count - 1 else 1)


def _cell_text(cell: Any, console: Console) -> str | None:
    """A cell's visible text on one line; None for anything else (Rich then draws the table)."""
    if isinstance(cell, Text):
        plain = cell.plain if cell.justify is None else None
    elif isinstance(cell, str):
        # Markup, emoji codes and control characters change the text: the console converts them.
        simple = "[" not in cell and ":" not in cell and cell.isprintable()
        plain = cell if simple else console.render_str(cell, highlight=False).plain
    else:
        return None
    if plain is None or not plain.isprintable():  # line breaks, tabs, control characters
        return None
    return plain


def _justify(text: str, justify: str, width: int) -> str:
    if justify == "left":
        return text + " " * (width - cell_len(text))
    text = text.rstrip()
    room = width - cell_len(text)
    if justify == "right":
        return " " * room + text
    return " " * (room // 2) + text + " " * (room - room // 2)


def _annotation(
    annotation: str | Text | None, justify: str, width: int, console: Console
) -> list[str] | None:
    """The title or caption lines over a table `width` wide (Rich wraps one that is wider)."""
    if not annotation:
        return []
    text = (
        console.render_str(annotation, highlight=False)
        if isinstance(annotation, str)
        else annotation
    )
    if justify not in _JUSTIFIED:
        return None
    lines = text.wrap(
        console,
        width,
        justify=text.justify or justify,  # type: ignore[arg-type]
        overflow=text.overflow or "fold",
        tab_size=text.tab_size or 8,
        no_wrap=bool(text.no_wrap),
    )
    return [line.plain for line in lines]
