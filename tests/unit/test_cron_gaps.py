"""The longest gap of a sync crontab: from its matching days and times of day, the same as
walking every fire with APScheduler, in a handful of APScheduler calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from lpmsync.services.cron_gaps import longest_gap, walked_gap

CRONS = [
    "*/15 * * * *",
    "0 * * * *",
    "0 9 * * mon-fri",
    "30 6,18 * * *",
    "*/7 8-18 * * 1-5",
    "0 2 * * *",
    "30 2 * * *",  # in the hour a spring clock change skips
    "*/5 0-3 * * *",
    "5 4 * * sun",
    "0 9 1 * *",  # monthly: the gap after the week is a month
    "0 0 29 2 *",  # leap days only: often no fire in the week at all
    "0 0 28-31 * *",
    "0 12 * jan,jul *",
    "59 23 31 12 *",
]
ZONES = ["Europe/Berlin", "UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)


def walked(cron: str, zone: str, start: datetime) -> timedelta:
    return walked_gap(CronTrigger.from_crontab(cron, timezone=ZoneInfo(zone)), start)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CRONS), st.sampled_from(ZONES), STARTS)
def test_the_gap_is_the_one_walking_every_fire_finds(cron: str, zone: str, start: datetime) -> None:
    assert longest_gap(cron, zone, start) == walked(cron, zone, start)


def test_a_minute_by_minute_schedule_needs_a_few_calls_not_ten_thousand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = CronTrigger.get_next_fire_time

    def counted(self: CronTrigger, previous: datetime | None, now: datetime) -> datetime | None:
        calls.append(now)
        fire: datetime | None = real(self, previous, now)
        return fire

    monkeypatch.setattr(CronTrigger, "get_next_fire_time", counted)
    start = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert longest_gap("* * * * *", "Europe/Berlin", start) == timedelta(minutes=1)
    assert len(calls) < 20
    calls.clear()
    assert walked("* * * * *", "Europe/Berlin", start) == timedelta(minutes=1)
    assert len(calls) > 10_000


def test_a_week_with_a_clock_change_is_walked_fire_by_fire() -> None:
    """APScheduler moves the fires of the skipped hour to its end: 01:45, then 03:00."""
    week_of_the_change = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
    assert longest_gap("*/15 * * * *", "Europe/Berlin", week_of_the_change) == timedelta(
        hours=1, minutes=15
    )


def test_a_monthly_schedule_counts_the_gap_after_the_week() -> None:
    assert longest_gap("0 9 1 * *", "UTC", datetime(2026, 11, 28, tzinfo=UTC)) == timedelta(days=31)
    assert longest_gap("0 9 1 * *", "UTC", datetime(2026, 11, 18, tzinfo=UTC)) == timedelta(0)
