"""The plain table drawer prints exactly what Rich prints off a terminal, or leaves it to Rich."""

from __future__ import annotations

import io
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from lpmsync.cli.plain_tables import plain_text

WIDTH = 4000
# Cells as the commands bring them: markup, escaped brackets, emoji codes, wide characters,
# blanks, and text in any script; then what only Rich lays out (line breaks, tabs, controls).
DRAWN = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "ok",
            "[green]yes[/]",
            "\\[not markup]",
            ":thumbs_up: done",
            "a:b:c",
            "日本語のタイトル",
            "emoji 🚀 wide",
            "trailing  ",
            "  leading",
        ]
    ),
    st.text(
        alphabet=st.characters(
            categories=["L", "M", "N", "P", "S"], include_characters=" ", exclude_characters="[]"
        ),
        max_size=12,
    ),
)
LEFT_TO_RICH = st.sampled_from(
    ["bell\x07and\rcarriage", "two\nlines", "tab\there", "zero\u200bwidth"]
)
JUSTIFY: st.SearchStrategy[Literal["left", "right", "center"]] = st.sampled_from(
    ["left", "right", "center"]
)


def rich_prints(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, width=WIDTH).print(renderable, highlight=False)
    return out.getvalue()


def plain_table(title: str | None = None, caption: str | None = None) -> Table:
    return Table(title=title, caption=caption, box=None, show_edge=False, pad_edge=False)


@st.composite
def tables(draw: st.DrawFn, cells: st.SearchStrategy[str]) -> Table:
    table = plain_table(
        title=draw(st.one_of(st.none(), cells)),
        caption=draw(st.one_of(st.none(), cells)),
    )
    table.title_justify = draw(JUSTIFY)
    table.caption_justify = draw(JUSTIFY)
    count = draw(st.integers(1, 4))
    for _ in range(count):
        table.add_column(draw(cells), justify=draw(JUSTIFY), no_wrap=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 4))):
        row = [draw(cells) for _ in range(count)]
        table.add_row(*[Text(cell) if draw(st.booleans()) else cell for cell in row])
    return table


@settings(max_examples=300, deadline=None)
@given(tables(DRAWN))
def test_what_is_drawn_is_what_rich_prints(table: Table) -> None:
    drawn = plain_text(table, WIDTH, Console(file=io.StringIO(), width=WIDTH))
    assert drawn == rich_prints(table)


@settings(max_examples=100, deadline=None)
@given(tables(st.one_of(DRAWN, LEFT_TO_RICH)))
def test_any_table_is_drawn_as_rich_prints_it_or_left_to_rich(table: Table) -> None:
    drawn = plain_text(table, WIDTH, Console(file=io.StringIO(), width=WIDTH))
    assert drawn is None or drawn == rich_prints(table)


def test_the_command_tables_are_drawn_without_rich() -> None:
    table = plain_table(title="sources (stale after 45m)")
    for column in ("source", "fresh", "skipped"):
        table.add_column(column, justify="right" if column == "skipped" else "left")
    table.add_row("jira-cloud", "[green]yes[/]", "3")
    table.add_row("ado", "[red]no[/]", "12")
    empty = plain_table(title="last runs", caption="nothing has run yet")
    empty.add_column("job")
    group = Group(Text("summary — 3 items"), table, empty)
    console = Console(file=io.StringIO(), width=WIDTH)
    drawn = plain_text(group, WIDTH, console)
    assert drawn == rich_prints(group)
    assert drawn is not None
    assert "jira-cloud  yes          3\n" in drawn


def test_a_title_wider_than_its_table_wraps_as_rich_wraps_it() -> None:
    table = plain_table(title="unmapped statuses (counted in no WIP and no share)")
    table.add_column("key")
    table.add_row("PORT-1")
    drawn = plain_text(table, WIDTH, Console(file=io.StringIO(), width=WIDTH))
    assert drawn == rich_prints(table)
    assert drawn is not None
    assert drawn.count("\n") > 3


def test_what_only_rich_lays_out_is_left_to_rich() -> None:
    console = Console(file=io.StringIO(), width=WIDTH)
    two_lines = plain_table()
    two_lines.add_column("title")
    two_lines.add_row("first\nsecond")
    boxed = Table()
    boxed.add_column("a")
    too_wide = plain_table()
    too_wide.add_column("a")
    too_wide.add_row("x" * 50)
    assert plain_text(two_lines, WIDTH, console) is None
    assert plain_text(boxed, WIDTH, console) is None
    assert plain_text(too_wide, 40, console) is None
    assert plain_text(Group(Text("fine"), two_lines), WIDTH, console) is None
