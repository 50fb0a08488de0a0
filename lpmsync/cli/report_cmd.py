"""`lpmsync report` and `lpmsync check`: the current findings and aggregates from the store."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Literal

import typer
from rich.console import Group, RenderableType
from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, load
from lpmsync.cli.report_flow import render_flow
from lpmsync.domain.findings import Finding
from lpmsync.domain.report import Analysis
from lpmsync.domain.text import display_text
from lpmsync.services.clock import utc_now
from lpmsync.services.report import Report, build_report, unknown_rule
from lpmsync.settings import Settings

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def escape(text: str) -> str:
    """Tracker text for a table cell: no Rich markup, no invisible or direction-changing
    characters (a right-to-left override would make the row lie)."""
    return markup_escape(display_text(text))


def _rule_ids(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        problem = unknown_rule(value)
        if problem is not None:
            raise typer.BadParameter(problem)
    return values


RuleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        "-r",
        help="Only findings of this rule id (repeatable).",
        callback=_rule_ids,
        show_default=False,
    ),
]


def report(
    config: ConfigOption = None,
    output: Annotated[
        Literal["table", "json"],
        typer.Option("--format", "-f", help="table (default) or json (docs/report.md)."),
    ] = "table",
    rule: RuleOption = None,
    flow: Annotated[
        bool,
        typer.Option("--flow", help="Flow metrics and forecasts (with json: the flow section)."),
    ] = False,
) -> None:
    """Print the current findings and aggregates: allocation, WIP, oldest and unmapped items."""
    result = _report(load(config, check_secrets=False), rule)
    if flow:  # the flow view (lpmsync/cli/report_flow.py)
        flow_json = result.as_json()["flow"]
        if output == "json":
            typer.echo(json.dumps({"flow": flow_json}, indent=2, ensure_ascii=False))
        else:
            console.print(render_flow(result.analysis.flow, result.generated_at))
    elif output == "json":
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        console.print(render(result))


def check(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the findings and what would be sent; write nothing."),
    ] = False,
) -> None:
    """Evaluate the rules, print the findings and alert Slack (--dry-run: show, send nothing).

    Alerts go through the lifecycle (fire, repeat after repeat_interval, resolve) and the outbox.
    """
    from lpmsync.cli.check_notify import notify_check  # noqa: PLC0415 (Slack: start-up of report)

    settings = load(config, check_secrets=False)
    result = _report(settings, None)
    console.print(_findings(result.analysis.findings))
    console.print(f"{len(result.analysis.findings)} findings", highlight=False)
    notify_check(settings, result.analysis.findings, result.generated_at, dry_run=dry_run)


def _report(settings: Settings, rules: list[str] | None) -> Report:
    store = open_configured_store(settings)
    try:
        result = build_report(settings, store.items, utc_now)
    finally:
        store.close()
    return result.only(rules) if rules else result


def render(result: Report) -> RenderableType:
    """The report as Rich tables. Tracker text is escaped: a title never becomes markup."""
    analysis = result.analysis
    parts: list[RenderableType] = [
        _summary(result),
        _findings(analysis.findings),
        _allocation(analysis),
        _wip(analysis),
        _oldest(analysis),
    ]
    if analysis.unmapped:
        parts.append(_unmapped(analysis))
    return Group(*parts)


def _summary(result: Report) -> Text:
    analysis = result.analysis
    return Text(
        f"{result.policy.name} — {analysis.items_count} items, {analysis.active_count} active, "
        f"alignment {analysis.alignment_rate:.0%}, {len(analysis.findings)} findings "
        f"(as of {result.generated_at:%Y-%m-%d %H:%M} UTC)"
    )


def _findings(findings: Iterable[Finding]) -> Table:
    table = Table(title="findings", title_justify="left")
    for column in ("severity", "rule", "where", "message"):
        table.add_column(column)
    for finding in findings:
        style = _SEVERITY_STYLE.get(finding.severity.value, "")
        table.add_row(
            Text(finding.severity.value, style=style),
            finding.rule,
            escape(_where(finding)),
            escape(finding.message),
        )
    return table


def _where(finding: Finding) -> str:
    if finding.subject is not None:
        return f"{finding.subject.source}:{finding.subject.key}"
    scope = finding.scope
    level = scope.level.value if scope.level is not None else None
    return " / ".join(
        part for part in (scope.theme, scope.state, level, scope.value_stream) if part
    )


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
