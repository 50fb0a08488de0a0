"""The JQL lpmsync sends, and the time literal for incremental searches. Pure.

JQL date literals have minute precision and are read in the API user's time zone (their Jira
profile), not UTC; `since_literal` formats an instant in that zone, rounded down, after taking
off the overlap, so a boundary minute is always read again rather than skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_ORDER_BY = re.compile(r"\s+order\s+by\s+[^\"']*$", re.IGNORECASE)

SAFE_ZONE = timezone(timedelta(hours=-12))
"""The zone to format in when the user's zone is unknown: the westernmost offset, so the literal
is never later than the instant meant (at worst it re-reads up to a day)."""

SAFE_ZONE_SPREAD_MINUTES = 26 * 60
"""How much earlier than meant a SAFE_ZONE literal can read (UTC-12 up to UTC+14)."""

DST_MARGIN_MINUTES = 60
"""Extra overlap when the zone is only a fixed offset learned from Jira's timestamps: a daylight
saving change can move the user's offset by an hour."""


@dataclass(frozen=True)
class Reading:
    """How to write the incremental search's time literal for one Jira user."""

    zone: tzinfo  # the zone the literal is written in
    margin_minutes: int  # taken off the watermark before formatting
    read_back_minutes: int  # how much before the watermark the search may really start

    def literal(self, watermark: datetime) -> str:
        return since_literal(watermark, self.margin_minutes, self.zone)


def reading(configured: str | None, learned_offset: int | None, overlap_minutes: int) -> Reading:
    """The configured zone; else the offset Jira's own timestamps showed, plus a margin for a
    daylight saving change; else SAFE_ZONE. `read_back_minutes` also decides which issues the
    cursor remembers as `seen`, so the overlap never fetches an issue that did not change."""
    if configured:
        return Reading(ZoneInfo(configured), overlap_minutes, overlap_minutes)
    if learned_offset is not None:
        margin = overlap_minutes + DST_MARGIN_MINUTES
        return Reading(timezone(timedelta(minutes=learned_offset)), margin, margin)
    return Reading(SAFE_ZONE, overlap_minutes, overlap_minutes + SAFE_ZONE_SPREAD_MINUTES)


def base_jql(jql: str) -> str:
    """The configured scope without a trailing ORDER BY (lpmsync adds its own)."""
    return _ORDER_BY.sub("", jql.strip()).strip()


def scope_jql(jql: str) -> str:
    """Every issue in scope, in a stable order (the key listing)."""
    return f"({base_jql(jql)}) ORDER BY key ASC"


def changed_jql(jql: str, since: str) -> str:
    """Issues in scope updated at or after `since` (a literal from `since_literal`)."""
    return f'({base_jql(jql)}) AND updated >= "{since}" ORDER BY updated ASC'


def keys_jql(jql: str, keys: Iterable[str]) -> str:
    """Issues in scope with one of `keys` (Data Center fetches named issues this way)."""
    quoted = ", ".join(quote(key) for key in keys)
    return f"({base_jql(jql)}) AND key in ({quoted}) ORDER BY key ASC"


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def since_literal(instant: datetime, margin_minutes: int, zone: tzinfo) -> str:
    """`yyyy-MM-dd HH:mm` in `zone`, `margin_minutes` before `instant`, seconds dropped."""
    start = (instant - timedelta(minutes=margin_minutes)).astimezone(zone)
    return start.strftime("%Y-%m-%d %H:%M")
