"""`lpmsync audit`: who acknowledged, snoozed or silenced what, and when."""

from __future__ import annotations

import csv
import getpass
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, load, show
from lpmsync.cli.silence_args import parse_until
from lpmsync.domain.audit import AuditAction, AuditEntry
from lpmsync.domain.findings import JsonValue
from lpmsync.services.clock import utc_now


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


_DURATION = re.compile(r"\d+(?:\.\d+)?[mhdw]")
_COLUMNS = ("id", "at", "actor", "action", "origin", "alerts", "channel", "message_ts", "detail")


def cli_audit_entry(action: AuditAction, detail: Mapping[str, JsonValue]) -> AuditEntry:
    """An audit row for an action taken from this command line, by the logged-in user."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        login = "unknown"
    return AuditEntry(
        at=utc_now(), actor=f"cli:{login}", action=action, origin="cli", detail=detail
    )


def audit(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="A date (2026-11-30) or a duration back from now (7d, 2w); "
            "in the portfolio time zone. Default: everything.",
        ),
    ] = None,
    output: Annotated[
        AuditFormat, typer.Option("--format", help="table, json (one array) or csv.")
    ] = AuditFormat.TABLE,
    config: ConfigOption = None,
) -> None:
    """The audit trail: every acknowledgement, snooze and silence, oldest first."""
    settings = load(config, check_secrets=False)
    zone = ZoneInfo(settings.portfolio.timezone)
    start = _start(since, zone)
    store = open_configured_store(settings)
    try:
        entries = store.audit.since(start)
    finally:
        store.close()
    if output is AuditFormat.JSON:
        typer.echo(json.dumps([_record(e) for e in entries], indent=2))
    elif output is AuditFormat.CSV:
        typer.echo(_csv(entries), nl=False)
    elif not entries:
        console.print("no actions recorded" + (f" since {since}" if since else ""))
    else:
        show(_table(entries, zone))


def _start(since: str | None, zone: ZoneInfo) -> datetime | None:
    """`--since` as a UTC-aware moment: a duration back from now, a day's start, or a time."""
    if since is None:
        return None
    text, now = since.strip(), utc_now()
    try:
        if _DURATION.fullmatch(text):
            return now - (parse_until(text, now, zone) - now)
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise typer.BadParameter(
            f"expected a date (2026-11-30), a date and time or a duration back (7d, 2w), "
            f"got {since!r}",
            param_hint="--since",
        ) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _record(entry: AuditEntry) -> dict[str, JsonValue]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action.value,
        "origin": entry.origin,
        "alerts": list(entry.fingerprints),
        "channel": entry.channel,
        "message_ts": entry.message_ts,
        "detail": dict(entry.detail),
    }


def _csv(entries: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for entry in entries:
        record = _record(entry)
        record["alerts"] = " ".join(entry.fingerprints)
        record["detail"] = json.dumps(record["detail"], sort_keys=True)
        writer.writerow(["" if record[c] is None else record[c] for c in _COLUMNS])
    return out.getvalue()


def _table(entries: Sequence[AuditEntry], zone: ZoneInfo) -> Table:
    table = Table(title=f"audit trail (times in {zone.key})", title_justify="left")
    for column in ("id", "at", "who", "action", "alerts", "where", "detail"):
        table.add_column(column, justify="right" if column in ("id", "alerts") else "left")
    for entry in entries:
        where = f"{entry.channel} {entry.message_ts}" if entry.channel else entry.origin
        detail = ", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items()))
        table.add_row(
            str(entry.id),
            entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            entry.actor,
            entry.action.value,
            str(len(entry.fingerprints)),
            where,
            detail,
        )
    return table
