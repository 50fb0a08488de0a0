"""Quiet hours: windows in the portfolio's zone, wrapping midnight, weekends, DST."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from lpmsync.domain.routing import QuietWindow
from lpmsync.notify.quiet import release_time

NIGHT = QuietWindow(start=time(19, 0), end=time(8, 0))
NIGHT_AND_WEEKENDS = QuietWindow(start=time(19, 0), end=time(8, 0), weekends=True)
LUNCH = QuietWindow(start=time(12, 0), end=time(13, 0))
BERLIN = "Europe/Berlin"


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        (None, utc(2026, 11, 16, 3, 0), None),
        (NIGHT, utc(2026, 11, 16, 12, 0), None),  # Monday midday, Berlin 13:00
        (NIGHT, utc(2026, 11, 16, 18, 0), utc(2026, 11, 17, 7, 0)),  # Berlin 19:00 → 08:00 (UTC+1)
        (NIGHT, utc(2026, 11, 16, 17, 59), None),
        (NIGHT, utc(2026, 11, 17, 2, 0), utc(2026, 11, 17, 7, 0)),  # after midnight
        (NIGHT, utc(2026, 11, 17, 7, 0), None),  # the end is open
        (LUNCH, utc(2026, 11, 16, 11, 30), utc(2026, 11, 16, 12, 0)),
        (LUNCH, utc(2026, 11, 16, 12, 0), None),
        (QuietWindow(time(9, 0), time(9, 0)), utc(2026, 11, 16, 8, 0), None),
    ],
)
def test_nightly_windows(
    window: QuietWindow | None, now: datetime, expected: datetime | None
) -> None:
    assert release_time(window, now, BERLIN) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 20, 19, 0), utc(2026, 11, 23, 7, 0)),  # Friday 20:00 → Monday 08:00
        (utc(2026, 11, 21, 11, 0), utc(2026, 11, 23, 7, 0)),  # Saturday noon
        (utc(2026, 11, 22, 22, 30), utc(2026, 11, 23, 7, 0)),  # Sunday 23:30
        (utc(2026, 11, 23, 7, 0), None),  # Monday 08:00
        (utc(2026, 11, 20, 10, 0), None),  # Friday 11:00
    ],
)
def test_weekends_hold_until_the_first_open_weekday_moment(
    now: datetime, expected: datetime | None
) -> None:
    assert release_time(NIGHT_AND_WEEKENDS, now, BERLIN) == expected


def test_weekends_only_release_at_monday_midnight() -> None:
    weekends = QuietWindow(time(0, 0), time(0, 0), weekends=True)
    assert release_time(weekends, utc(2026, 11, 21, 12, 0), "UTC") == utc(2026, 11, 23, 0, 0)
    assert release_time(weekends, utc(2026, 11, 23, 0, 0), "UTC") is None


def test_window_end_follows_daylight_saving_change() -> None:
    # Berlin leaves summer time on 2026-10-25: 08:00 local is 07:00 UTC after it, 06:00 before.
    assert release_time(NIGHT, utc(2026, 10, 24, 20, 0), BERLIN) == utc(2026, 10, 25, 7, 0)
    assert release_time(NIGHT, utc(2026, 10, 23, 20, 0), BERLIN) == utc(2026, 10, 24, 6, 0)


def test_other_zones_shift_the_window() -> None:
    # 02:00 UTC is 21:00 the previous evening in New York: quiet until 08:00 there (13:00 UTC).
    assert release_time(NIGHT, utc(2026, 11, 17, 2, 0), "America/New_York") == utc(
        2026, 11, 17, 13, 0
    )
