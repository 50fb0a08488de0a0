"""`lpmsync report` as tables: the findings in plain words, allocation, WIP, oldest and unmapped
items. Tracker text is escaped: a title never becomes Rich markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text

from lpmsync.cli.report_filter import owner_of
from lpmsync.domain.findings import Finding
from lpmsync.domain.report import Analysis
from lpmsync.domain.text import display_text
from lpmsync.notify.wording import Names, subject_link, word
from lpmsync.services.report import Report


def escape(text: str) -> str:
    """Tracker text for a table cell: no Rich markup, no invisible or direction-changing
    characters (a right-to-left override would make the row lie)."""
    return markup_escape(display_text(text))


_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
NEVER_SYNCED = "the store holds no items yet: run `lpmsync sync` first"


def render(
    result: Report, findings: Sequence[Finding], names: Names, *, sources: bool = False
) -> RenderableType:
    """The report as Rich tables; `findings` are the ones to list (filtered and sorted)."""
    analysis = result.analysis
    parts: list[RenderableType] = [
        _summary(result, len(findings)),
        findings_table(findings, names, sources=sources),
        _allocation(analysis),
        _wip(analysis),
        _oldest(analysis),
    ]
    if analysis.unmapped:
        parts.append(_unmapped(analysis))
    return Group(*parts)


def _summary(result: Report, shown: int) -> Text:
    analysis = result.analysis
    if analysis.items_count == 0:
        return Text(f"{result.policy.name} — {NEVER_SYNCED}", style="bold yellow")
    listed = "" if shown == len(analysis.findings) else f", {shown} shown"
    return Text(
        f"{result.policy.name} — {analysis.items_count} items, {analysis.active_count} active, "
        f"alignment {analysis.alignment_rate:.0%}, {len(analysis.findings)} findings{listed} "
        f"(as of {result.generated_at:%Y-%m-%d %H:%M} UTC)"
    )


def findings_table(findings: Sequence[Finding], names: Names, *, sources: bool) -> Table:
    """One row per finding, most severe first: the item, what is wrong, whose it is."""
    table = Table(title="findings", title_justify="left")
    columns = ["severity", "rule", *(["source"] if sources else []), "item", "title", "what"]
    for column in (*columns, "owner"):
        table.add_column(column, no_wrap=column in ("severity", "rule", "source", "item"))
    for finding in findings:
        item = subject_link(finding)
        wording = word(finding, names)
        cells: list[Text | str] = [
            Text(finding.severity.value, style=_SEVERITY_STYLE.get(finding.severity.value, "")),
            finding.rule,
            *([escape(item.source if item else "")] if sources else []),
            escape(item.name if item else "—"),
            escape(item.title if item else wording.headline),
            escape(wording.facts),
            escape(owner_of(finding)),
        ]
        table.add_row(*cells)
    return table


def _allocation(analysis: Analysis) -> Table:
    table = Table(title="allocation (share of active work)", title_justify="left")
    for column in ("theme", "name", "target", "actual", "status"):
        table.add_column(column, justify="right" if column in ("target", "actual") else "left")
    for row in analysis.allocation:
        target = "—" if row.target_share is None else f"{row.target_share:.0%}"
        status = "retired" if row.retired else ("active" if row.active else "not yet active")
        table.add_row(row.theme, escape(row.name), target, f"{row.actual_share:.0%}", status)
    return table


def _wip(analysis: Analysis) -> Table:
    table = Table(title="WIP", title_justify="left")
    for column in ("state", "level", "value stream", "count", "limit", "min"):
        table.add_column(column, justify="right" if column in ("count", "limit", "min") else "left")
    for row in analysis.wip:
        if row.count == 0 and row.limit is None and row.min is None:
            continue
        over = row.limit is not None and row.count > row.limit
        under = row.min is not None and row.count < row.min
        table.add_row(
            escape(row.state),
            row.level.value,
            escape(row.value_stream or "all"),
            Text(str(row.count), style="bold red" if over or under else ""),
            "—" if row.limit is None else str(row.limit),
            "—" if row.min is None else str(row.min),
        )
    return table


def _oldest(analysis: Analysis) -> Table:
    table = Table(title="oldest per state", title_justify="left")
    for column in ("state", "item", "days", "title"):
        table.add_column(column, justify="right" if column == "days" else "left")
    for state, ages in analysis.oldest.items():
        for age in ages[:3]:
            table.add_row(
                escape(state), escape(f"{age.source}:{age.key}"), str(age.days), escape(age.title)
            )
    return table


def _unmapped(analysis: Analysis) -> Table:
    table = Table(title="unmapped statuses (counted in no WIP and no share)", title_justify="left")
    for column in ("source", "key", "status"):
        table.add_column(column)
    for item in analysis.unmapped:
        table.add_row(escape(item.source), escape(item.key), escape(item.status))
    return table
