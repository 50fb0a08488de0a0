"""The longest gap between two fires of a sync crontab in the week ahead (what `status` and the
readiness probe judge freshness by), without asking APScheduler for every fire.

Walking the fires one by one costs about 20 µs each: 672 for `*/15 * * * *`, 10,080 for a
minute-by-minute schedule (a fifth of a second of `lpmsync status`). A crontab fires at the same
hours and minutes on every day it matches, so the week is those days times those times of day:
APScheduler names the days (one call per matching day) and the hour and minute fields name the
times. Where a clock change falls in the week (APScheduler moves a fire that falls into the
skipped hour), or anything else is unusual, the fires are walked one by one as before.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

HORIZON = timedelta(days=8)  # a week covers every weekday/weekend shape of a crontab
MAX_GAPS = 10_080  # a minute-by-minute schedule: one week of fires
_DAY_MINUTES = 24 * 60
_MINUTE_US = 60_000_000


def longest_gap(cron: str, timezone: str, start: datetime) -> timedelta:
    """The longest gap between two consecutive fires of `cron` whose first fire is at most
    `HORIZON` after `start` (at most `MAX_GAPS` gaps)."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    gap = _gap_from_days(trigger, start)
    return gap if gap is not None else walked_gap(trigger, start)


def walked_gap(trigger: CronTrigger, start: datetime) -> timedelta:
    """`longest_gap` by asking APScheduler for every fire in turn."""
    previous: datetime | None = trigger.get_next_fire_time(None, start)
    longest = timedelta(0)
    for _ in range(MAX_GAPS):
        if previous is None or previous - start > HORIZON:
            break
        following = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
        if following is None:
            break
        longest = max(longest, following - previous)
        previous = following
    return longest


def _gap_from_days(trigger: CronTrigger, start: datetime) -> timedelta | None:
    """`longest_gap` from the matching days and the times of day; None where a clock change
    falls in the week or the trigger is not a plain crontab."""
    zone = trigger.timezone
    if not isinstance(zone, ZoneInfo) or _clock_changes(zone, start):
        return None
    times = _times_of_day(trigger)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    first_day = local_start.date()
    days = _matching_days(trigger, first_day, (local_start + HORIZON).date())
    if times is None or days is None:
        return None
    # Fires as minutes after the first day's midnight: the offset from UTC is the same all week.
    start_us = (local_start - datetime.combine(first_day, time())) // timedelta(microseconds=1)
    end_us = start_us + HORIZON // timedelta(microseconds=1)
    midnights = [(day - first_day).days * _DAY_MINUTES for day in days]
    fires = [
        minute
        for minute in (midnight + t for midnight in midnights for t in times)
        if start_us <= minute * _MINUTE_US <= end_us
    ]
    if not fires:
        return timedelta(0)
    if _first_fire(trigger, start) != _as_datetime(fires[0], first_day, zone):
        return None  # not the schedule APScheduler walks: let it walk
    fires = fires[: MAX_GAPS + 1]
    longest = max((b - a for a, b in pairwise(fires)), default=0)
    gap = timedelta(minutes=longest)
    if len(fires) <= MAX_GAPS:  # the fire after the week: perhaps far later (a monthly crontab)
        last = _as_datetime(fires[-1], first_day, zone)
        following = trigger.get_next_fire_time(last, last + timedelta(microseconds=1))
        if following is not None:
            gap = max(gap, following - last)
    return gap


def _clock_changes(zone: ZoneInfo, start: datetime) -> bool:
    """Whether the zone's offset from UTC changes in the week after `start` (checked hourly:
    no zone changes its clock twice within an hour)."""
    offset = start.astimezone(zone).utcoffset()
    hours = int(HORIZON / timedelta(hours=1)) + 2
    return any(
        (start + timedelta(hours=hour)).astimezone(zone).utcoffset() != offset
        for hour in range(1, hours)
    )


def _times_of_day(trigger: CronTrigger) -> list[int] | None:
    """The minutes after midnight at which the crontab fires on a day it matches."""
    fields: dict[str, Any] = {field.name: field for field in trigger.fields}
    try:
        seconds = _allowed(fields["second"], 59)
        hours, minutes = _allowed(fields["hour"], 23), _allowed(fields["minute"], 59)
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
    if seconds != [0]:
        return None
    return [hour * 60 + minute for hour in hours for minute in minutes]


def _allowed(field: Any, highest: int) -> list[int]:
    """The values a time field (hour, minute, second) allows, from 0 to `highest`."""
    values: list[int] = []
    value: int | None = 0
    while value is not None and value <= highest:
        value = field.get_next_value(_probe(field.name, value))
        if value is not None:
            values.append(value)
            value += 1
    return values


def _probe(name: str, value: int) -> datetime:
    """A moment whose `name` (hour, minute or second) is `value`, for a field to judge."""
    hour, minute, second = (value if name == part else 0 for part in ("hour", "minute", "second"))
    return datetime(2000, 1, 1, hour, minute, second)


def _matching_days(trigger: CronTrigger, first: date, last: date) -> list[date] | None:
    """The days from `first` to `last` on which the crontab fires (APScheduler names each: the
    first fire from a midnight on is on the next matching day)."""
    zone = trigger.timezone
    days: list[date] = []
    day = first
    while day <= last:
        fire = trigger.get_next_fire_time(None, datetime.combine(day, time(), tzinfo=zone))
        if fire is None or fire.date() > last:
            break
        if fire.date() < day:
            return None
        days.append(fire.date())
        day = fire.date() + timedelta(days=1)
    return days


def _first_fire(trigger: CronTrigger, start: datetime) -> datetime | None:
    fire: datetime | None = trigger.get_next_fire_time(None, start)
    return fire


def _as_datetime(minute: int, first_day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(first_day, time(), tzinfo=zone) + timedelta(minutes=minute)
