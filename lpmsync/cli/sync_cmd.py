"""`lpmsync sync`: read the trackers into the store once (also what a CronJob runs)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lpmsync.bootstrap import build_connectors, open_configured_store
from lpmsync.cli.common import ConfigOption, console, load, show
from lpmsync.cli.stopping import stop_on_signals
from lpmsync.connectors.base import Connector
from lpmsync.domain.sync import PageOutcome, SyncPage
from lpmsync.services.clock import utc_now
from lpmsync.services.stopping import StopRequest
from lpmsync.services.sync import SourceSummary, sync_sources
from lpmsync.store import SqlStore


def sync(
    config: ConfigOption = None,
    source: Annotated[str | None, typer.Option("--source", help="Sync only this source.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore cursors: fetch everything.")] = False,
) -> None:
    """Sync all sources (or one) into the store; exits 1 if any source failed or another
    process was syncing it."""
    # Each connector reads its own secrets: a Jira-only sync needs no Azure DevOps PAT, and no
    # sync needs the Slack token.
    settings = load(config, check_secrets=False)
    with stop_on_signals() as stop:
        # A stop also ends a wait to retry a request (a source's Retry-After may be a minute).
        connectors = build_connectors(settings, source, stop=stop)
        store = open_configured_store(settings)
        try:
            summaries = _sync_with_progress(store, connectors, full=full, stop=stop)
        finally:
            for connector in connectors:
                connector.close()
            store.close()
    show(summary_table(summaries))
    busy = [s.source for s in summaries if s.status == "skipped"]
    if busy:
        console.print(
            f"another sync is running {', '.join(busy)}: left to it; try again when it is done",
            highlight=False,
        )
    if any(s.status in ("failed", "skipped") for s in summaries):
        raise typer.Exit(1)


def _sync_with_progress(
    store: SqlStore, connectors: list[Connector], *, full: bool, stop: StopRequest
) -> list[SourceSummary]:
    # Each source is synced under its own lock (the one `run` and replicas take too).
    with _progress() as progress:
        tasks = {c.source: progress.add_task(c.source, total=None) for c in connectors}

        def advance(name: str, page: SyncPage, _outcome: PageOutcome) -> None:
            progress.update(tasks[name], advance=len(page.items) + len(page.skipped))

        return sync_sources(
            store, connectors, utc_now, full=full, progress=advance, should_stop=stop.is_set
        )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} items"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def summary_table(summaries: list[SourceSummary]) -> Table:
    table = Table(title="sync", title_justify="left", caption_justify="left")
    for column in (
        "source",
        "status",
        "added",
        "changed",
        "removed",
        "skipped",
        "unmapped",
        "requests",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for s in summaries:
        status = {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(s.status, s.status)
        table.add_row(
            s.source,
            status,
            str(s.added),
            str(s.changed),
            str(s.removed),
            str(s.skipped_count),
            str(s.unmapped_count),
            str(s.requests),
            f"{s.seconds:.1f}",
        )
    for s in summaries:
        if s.error:
            table.caption = (table.caption or "") + f"{s.source}: {s.error}\n"
    return table
