"""`lpmsync status`: what the service has been doing, from the store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, load, show
from lpmsync.errors import LpmsyncError
from lpmsync.services import jobs_status
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs_status import StatusReport, human_duration

_STATUS_STYLE = {
    "ok": "green",
    "failed": "red",
    "running": "cyan",
    "interrupted": "yellow",
    "abandoned": "magenta",  # left running by a process that died (kill -9, OOM)
    "waiting": "yellow",  # a digest waiting for fresh data
}


def status(
    config: ConfigOption = None,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table (default) or json.")
    ] = "table",
) -> None:
    """Last runs, source freshness, the Slack outbox and open alerts (exit 1: a source is stale).

    A source is stale when its last successful sync is older than 3 sync intervals.
    """
    settings = load(config, check_secrets=False)
    store = open_configured_store(settings)
    try:
        now = utc_now()
        stale = jobs_status.stale_after(settings.schedule.sync, settings.portfolio.timezone, now)
        report = jobs_status.collect_status(
            store, [source.name for source in settings.sources], now, stale
        )
    finally:
        store.close()
    if output == "json":
        console.print_json(json.dumps(report.as_json()))
    else:
        show(render(report))
    stale_sources = [source.source for source in report.sources if not source.fresh]
    if stale_sources:
        raise StaleSourcesError(
            f"stale: {', '.join(stale_sources)} (no successful sync within "
            f"{human_duration(report.stale_after)})"
        )


class StaleSourcesError(LpmsyncError):
    """`lpmsync status` found sources without a recent successful sync (exit code 1)."""


def render(report: StatusReport) -> Group:
    """The report as Rich tables, one per concern."""
    return Group(
        _sources(report),
        _runs(report),
        _outbox(report),
        _alerts(report),
    )


def _sources(report: StatusReport) -> Table:
    now = report.generated_at
    table = Table(
        title=f"sources (stale after {human_duration(report.stale_after)})", title_justify="left"
    )
    for column in ("source", "fresh", "last run", "last success", "skipped", "unmapped", "error"):
        table.add_column(column, justify="right" if column in ("skipped", "unmapped") else "left")
    for source in report.sources:
        age = source.age(now)
        table.add_row(
            source.source,
            "[green]yes[/]" if source.fresh else "[red]no[/]",
            _styled(source.last_status) if source.last_status else "never",
            f"{human_duration(age)} ago" if age is not None else "never",
            str(source.skipped_count),
            str(source.unmapped_count),
            source.error or "",
        )
    if not report.sources:
        table.caption = "no sources configured"
    return table


def _runs(report: StatusReport) -> Table:
    table = Table(title="last runs", title_justify="left")
    for column in ("job", "source", "status", "started", "took", "error"):
        table.add_column(column)
    for run in report.runs:
        took = human_duration(run.finished_at - run.started_at) if run.finished_at else ""
        table.add_row(
            run.job,
            run.source or "",
            _styled(run.status),
            _ago(report.generated_at, run.started_at),
            took,
            run.error or "",
        )
    if not report.runs:
        table.caption = "nothing has run yet"
    return table


def _outbox(report: StatusReport) -> Table | Text:
    title = f"slack outbox: {report.outbox_depth} waiting"
    if not report.slack_failures:  # one line: a header over no rows reads like a broken table
        return Text(f"{title}; no message has failed for good")
    table = Table(title=title, title_justify="left")
    for column in ("failed", "channel", "error", "message"):
        table.add_column(column)
    for failure in report.slack_failures:
        when = _ago(report.generated_at, failure.finished_at) if failure.finished_at else ""
        table.add_row(
            when, failure.channel, failure.error_code or failure.error or "", failure.text
        )
    return table


def _alerts(report: StatusReport) -> Table:
    total = sum(report.open_alerts.values())
    table = Table(title=f"open alerts: {total}", title_justify="left")
    table.add_column("rule")
    table.add_column("open", justify="right")
    for rule, count in report.open_alerts.items():
        table.add_row(rule, str(count))
    return table


def _styled(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def _ago(now: datetime, then: datetime) -> str:
    return f"{human_duration(now - then)} ago"
