"""`lpmsync send`: drain the outbox into Slack once (what a CronJob runs), or check the setup."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lpmsync.bootstrap import build_slack_sender, open_configured_store
from lpmsync.cli.common import ConfigOption, console, load, print_send
from lpmsync.cli.stopping import stop_on_signals
from lpmsync.errors import ConfigError
from lpmsync.notify.slack import SlackSender
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs_locks import SEND, job_lock
from lpmsync.services.send import SendSummary, drain_outbox
from lpmsync.settings import Settings
from lpmsync.store import SqlStore


def send(
    config: ConfigOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Send at most this many messages.")
    ] = 500,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Check the bot token and every configured channel; send nothing."
        ),
    ] = False,
) -> None:
    """Send what waits in the outbox; exits 1 unless everything due was sent (also while
    messages wait for a retry or another sender's lease: the line says when the next attempt
    is). SIGTERM or SIGINT finishes the message in flight and exits 0 saying what is left."""
    settings = load(config)
    slack = settings.notify.slack
    if slack is None:
        raise ConfigError("Slack is not configured", key="notify.slack")
    sender = build_slack_sender(settings)
    if check:
        _check(sender, _channels(settings))
        return
    store = open_configured_store(settings)
    try:
        with stop_on_signals() as stop, job_lock(store, SEND, utc_now):
            summary = drain_outbox(
                store,
                sender,
                utc_now,
                limit=limit,
                max_attempts=slack.max_attempts,
                sleep=stop.wait,
                stop=stop,
            )
        _report(summary, store)
    finally:
        store.close()
    if summary.status not in ("ok", "interrupted"):
        raise typer.Exit(1)


def _report(summary: SendSummary, store: SqlStore) -> None:
    print_send(summary)
    if summary.failed:
        table = Table(title="recent failures", title_justify="left")
        for column in ("message", "channel", "code", "error"):
            table.add_column(column)
        for entry in store.outbox.recent_failures(summary.failed):
            message = entry.message
            table.add_row(
                message.dedup_key, message.channel, entry.error_code or "", entry.last_error or ""
            )
        console.print(table)


def _channels(settings: Settings) -> list[str]:
    slack = settings.notify.slack
    assert slack is not None
    channels = [slack.default_channel, *(route.channel for route in slack.routes)]
    if slack.digest.channel:
        channels.append(slack.digest.channel)
    return list(dict.fromkeys(channels))


def _check(sender: SlackSender, channels: list[str]) -> None:
    team, checks = sender.check(channels)
    table = Table(title=f"Slack workspace {team!r}", title_justify="left")
    for column in ("channel", "name", "status"):
        table.add_column(column)
    for check in checks:
        status = "[green]ok[/]" if check.problem is None else f"[red]{check.problem}[/]"
        table.add_row(check.channel, check.name or "", status)
    console.print(table)
    if any(check.problem for check in checks):
        raise typer.Exit(1)
