"""The SQLite text of a datetime column, written by orjson for a column in UTC, is exactly the
text the value-at-a-time rule gives, for any instant, offset, fraction or missing value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpmsync.store.bulk import _sqlite_datetime, _sqlite_datetimes

# Instants whose UTC value is a valid datetime whatever offset they are given in.
_NAIVE = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30))
_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(0)),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-8)),
    ]
)
_AWARE = st.builds(lambda value, zone: value.replace(tzinfo=zone), _NAIVE, _ZONES)


class _Later(datetime):
    """A datetime subclass (orjson does not write those)."""


@given(st.lists(st.one_of(st.none(), _AWARE), max_size=30))
def test_a_column_reads_as_each_value_would(column: list[datetime | None]) -> None:
    assert _sqlite_datetimes(column) == [_sqlite_datetime(value) for value in column]
    assert _sqlite_datetimes(tuple(column)) == [_sqlite_datetime(value) for value in column]


@given(
    st.lists(st.one_of(st.none(), st.builds(lambda v: v.replace(tzinfo=UTC), _NAIVE)), max_size=30)
)
def test_a_utc_column_keeps_whole_seconds_and_fractions(column: list[datetime | None]) -> None:
    written = _sqlite_datetimes(column)
    assert all(text is None or len(text) == len("YYYY-MM-DD HH:MM:SS.ffffff") for text in written)
    assert [
        None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)
        for text in written
    ] == column


def test_a_subclass_is_written_the_same() -> None:
    value = _Later(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert _sqlite_datetimes([value, None]) == ["2026-03-01 10:00:00.000000", None]


@pytest.mark.parametrize(
    "column", [[datetime(2026, 3, 1)], [datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1)]]
)
def test_a_naive_datetime_is_refused(column: list[datetime]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        _sqlite_datetimes(column)
