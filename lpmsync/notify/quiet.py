"""Quiet hours: when a message may go out. Pure; `now` is passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lpmsync.domain.routing import QuietWindow

_SATURDAY = 5
# Each step moves to the end of one quiet stretch; a week of steps covers any combination of
# nightly windows and weekends, so the loop always ends.
_MAX_STEPS = 16


def release_time(window: QuietWindow | None, now: datetime, timezone: str) -> datetime | None:
    """When a message created at `now` may be sent: None if now is outside quiet hours, else
    the (UTC) moment the quiet stretch ends, skipping over consecutive windows and weekends."""
    if window is None:
        return None
    zone = ZoneInfo(timezone)
    moment = now.astimezone(zone)
    held = False
    for _ in range(_MAX_STEPS):
        end = _quiet_until(window, moment, zone)
        if end is None:
            break
        held, moment = True, end
    return moment.astimezone(UTC) if held else None


def _quiet_until(window: QuietWindow, local: datetime, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet stretch that contains `local`, or None if `local` is not quiet."""
    if window.weekends and local.weekday() >= _SATURDAY:
        monday = local.date() + timedelta(days=7 - local.weekday())
        return _at(monday, time(0, 0), zone)
    return _nightly_end(window, local, zone)


def _nightly_end(window: QuietWindow, local: datetime, zone: ZoneInfo) -> datetime | None:
    start, end, now = window.start, window.end, local.time().replace(tzinfo=None)
    today = local.date()
    if start < end:  # same-day window, e.g. 12:00-13:00
        return _at(today, end, zone) if start <= now < end else None
    if start > end:  # wraps midnight, e.g. 19:00-08:00
        if now >= start:
            return _at(today + timedelta(days=1), end, zone)
        if now < end:
            return _at(today, end, zone)
    return None


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    # A wall time in a DST gap resolves forward through fold=0 and normalising via UTC.
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)
