"""`lpmsync silence add|list|expire`: hold back alerts of a rule until a given time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.audit_cmd import cli_audit_entry
from lpmsync.cli.common import ConfigOption, console, err_console, load
from lpmsync.cli.silence_args import check_rule, parse_matchers, parse_until
from lpmsync.domain.alerts import AlertStatus, Silence
from lpmsync.domain.audit import AuditAction
from lpmsync.notify.lifecycle import is_silenced
from lpmsync.services.clock import utc_now
from lpmsync.settings import Settings
from lpmsync.store import SqlStore

app = typer.Typer(help="Silence alerts of a rule until a given time.", no_args_is_help=True)


@app.command("add")
def add(
    rule: Annotated[str, typer.Option("--rule", help="Rule id, e.g. aging or wip-breach.")],
    until: Annotated[
        str,
        typer.Option(
            "--until",
            help="A duration (8h, 3d, 2w), a date (through that day) or a date and time; "
            "in the portfolio time zone.",
        ),
    ],
    match: Annotated[
        list[str] | None,
        typer.Option(
            "--match",
            help="key=value the alert must match (theme, value_stream, state, level, "
            "severity, source, key); repeatable.",
        ),
    ] = None,
    comment: Annotated[str, typer.Option("--comment", help="Why, for the next person.")] = "",
    config: ConfigOption = None,
) -> None:
    """Silence alerts of RULE (matching every --match) until --until."""
    settings = load(config, check_secrets=False)
    zone = ZoneInfo(settings.portfolio.timezone)
    silence = _silence(settings, rule, match or [], until, comment=comment, zone=zone)
    store = open_configured_store(settings)
    try:
        entry = cli_audit_entry(AuditAction.SILENCE_ADD, {"rule": silence.rule})
        silence_id = store.audit.add_silence(
            silence, replace(entry, at=silence.created_at or entry.at)
        )
        warning = unmatched_warning(silence, store)
    finally:
        store.close()
    console.print(
        f"silence {silence_id} added: {_describe(silence)} until {_local(silence.until, zone)}",
        highlight=False,
    )
    if warning:
        err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@app.command("list")
def list_silences(config: ConfigOption = None) -> None:
    """Every silence, newest first, active or not."""
    settings = load(config, check_secrets=False)
    zone = ZoneInfo(settings.portfolio.timezone)
    store = open_configured_store(settings)
    try:
        silences = store.silences.list_all()
    finally:
        store.close()
    if not silences:
        console.print("no silences")
        return
    console.print(silence_table(silences, utc_now(), zone))


@app.command("expire")
def expire(
    silence_id: Annotated[int, typer.Argument(help="The id shown by `silence list`.")],
    config: ConfigOption = None,
) -> None:
    """End a silence now: its alerts are announced on the next check."""
    settings = load(config, check_secrets=False)
    store = open_configured_store(settings)
    try:
        entry = cli_audit_entry(AuditAction.SILENCE_EXPIRE, {})
        expired = store.audit.expire_silence(silence_id, entry)
        known = store.silences.get(silence_id) is not None
    finally:
        store.close()
    if expired:
        console.print(f"silence {silence_id} expired")
    elif known:
        console.print(f"silence {silence_id} had already ended")
    else:
        err_console.print(f"[bold red]error:[/] no silence with id {silence_id}", highlight=False)
        raise typer.Exit(1)


def silence_table(silences: list[Silence], now: datetime, zone: ZoneInfo) -> Table:
    table = Table(title=f"silences (times in {zone.key})", title_justify="left")
    for column in ("id", "rule", "matches", "until", "status", "comment"):
        table.add_column(
            column,
            justify="right" if column == "id" else "left",
            no_wrap=column in ("id", "rule", "status"),
        )
    for silence in silences:
        if silence.active_at(now):
            status = "[green]active[/]"
        elif silence.expired_at is not None:
            status = "[yellow]expired[/]"  # ended by hand
        else:
            status = "[dim]ended[/]"
        table.add_row(
            str(silence.id),
            silence.rule,
            _matchers(silence) or "[dim]every alert[/]",
            _local(silence.until, zone, with_zone=False),
            status,
            silence.comment,
        )
    return table


def _silence(
    settings: Settings, rule: str, match: list[str], until: str, *, comment: str, zone: ZoneInfo
) -> Silence:
    """The silence the arguments describe; a bad argument is a usage error (exit 2)."""
    now = utc_now()
    try:
        return Silence(
            id=None,
            rule=check_rule(rule),
            matchers=parse_matchers(match, _known_values(settings)),
            until=parse_until(until, now, zone, settings.notify.max_silence),
            comment=comment,
            created_at=now,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def unmatched_warning(silence: Silence, store: SqlStore) -> str | None:
    """A sentence when the silence holds back none of the open alerts (a typo in a key, an
    item that is not in the store), so the operator hears about it now, not in weeks."""
    firing = [
        state
        for state in store.alerts.load_all()
        if state.status is AlertStatus.FIRING and state.rule == silence.rule
    ]
    if any(is_silenced(state.finding, [silence]) for state in firing):
        return None
    key = silence.matchers.get("key")
    if key is not None:
        sources = [silence.matchers["source"]] if "source" in silence.matchers else None
        if not any(item.key == key for item in store.items.load(sources)):
            return f"no item {key!r} is in the store: this silence matches nothing"
    return (
        f"it matches none of the {len(firing)} open {silence.rule} alerts; "
        "it only holds back alerts that fire later"
    )


def _known_values(settings: Settings) -> dict[str, list[str]]:
    """Values a matcher may take, where the config knows them all."""
    known = {
        "theme": [theme.key for theme in settings.themes],
        "state": settings.portfolio.state_names,
        "source": [source.name for source in settings.sources],
        "value_stream": list(settings.portfolio.value_streams),
    }
    return {key: values for key, values in known.items() if values}


def _matchers(silence: Silence) -> str:
    matchers = [f"{key}={value}" for key, value in sorted(silence.matchers.items())]
    if silence.fingerprints:  # a snooze from Slack: its comment names the items
        count = len(silence.fingerprints)
        matchers.append(f"{count} alert{'s' if count != 1 else ''} snoozed by {silence.author}")
    return ", ".join(matchers)


def _describe(silence: Silence) -> str:
    matchers = _matchers(silence)
    return f"rule {silence.rule}" + (f" where {matchers}" if matchers else "")


def _local(moment: datetime, zone: ZoneInfo, *, with_zone: bool = True) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M" + (" %Z" if with_zone else ""))
