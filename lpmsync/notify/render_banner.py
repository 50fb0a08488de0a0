"""The digest's stale-data banner (pure: stdlib and domain only).

A digest sent while some sources could not be synced says so at its top, before any number:
which sources, when each last synced successfully, and what to do. It is a separate block so
the digest renderer only places it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lpmsync.domain.digest import Digest, StaleSource
from lpmsync.notify.blocks import Block, escape, section

MAX_LISTED = 10


def stale_banner(digest: Digest) -> list[Block]:
    """One section warning about stale sources, or nothing when every source is fresh."""
    stale = digest.stale_sources
    if not stale:
        return []
    lines = [f"• {_source_line(source, digest.taken_at)}" for source in stale[:MAX_LISTED]]
    if len(stale) > MAX_LISTED:
        lines.append(f"• and {len(stale) - MAX_LISTED} more")
    head = (
        f"⚠️ *Data may be out of date.* {_count(len(stale))} could not be synced "
        "recently; the numbers below use what was last read from them:"
    )
    tail = "_Run `lpmsync status` to see why, then `lpmsync digest --force` to rebuild._"
    return [section("\n".join([head, *lines, tail]))]


def stale_fallback(digest: Digest) -> str:
    """A short prefix for the notification text when the banner is shown."""
    return "⚠️ data may be out of date — " if digest.stale_sources else ""


def _count(number: int) -> str:
    return "One source" if number == 1 else f"{number} sources"


def _source_line(source: StaleSource, taken_at: datetime) -> str:
    name = f"*{escape(source.name)}*"
    if source.last_success is None:
        return f"{name}: never synced successfully"
    when = f"{source.last_success:%Y-%m-%d %H:%M} UTC"
    return f"{name}: last synced successfully {when} ({_age(taken_at - source.last_success)} ago)"


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(age.total_seconds() // 60), 1)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} days"
