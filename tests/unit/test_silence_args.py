"""Reading `lpmsync silence add` arguments: --until, --match, --rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lpmsync.cli.silence_args import check_rule, parse_matchers, parse_until

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (CET, UTC+1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW + timedelta(minutes=90)),
        ("8h", NOW + timedelta(hours=8)),
        ("3d", NOW + timedelta(days=3)),
        (" 2w ", NOW + timedelta(weeks=2)),
        ("1.5h", NOW + timedelta(minutes=90)),
        # a date means through that whole day, in the portfolio's zone
        ("2026-12-01", datetime(2026, 12, 1, 23, 0, tzinfo=UTC)),
        ("2026-11-16", datetime(2026, 11, 16, 23, 0, tzinfo=UTC)),  # the rest of today
        # summer time: Berlin is UTC+2 on 1 July
        ("2027-07-01", datetime(2027, 7, 1, 22, 0, tzinfo=UTC)),
        ("2026-12-01T09:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01 09:30", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("2026-12-01T09:00+00:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("2026-12-01T09:00Z", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
    ],
)
def test_until_accepts_durations_dates_and_times(text: str, expected: datetime) -> None:
    until = parse_until(text, NOW, BERLIN)
    assert until == expected
    assert until.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-15", "not in the future"),
        ("2026-11-16T09:59", "not in the future"),  # 08:59 UTC
        ("0h", "not in the future"),
        ("30", "expected a duration"),  # a bare number is ambiguous: refused
        ("next friday", "expected a duration"),
        ("2026-13-01", "expected a duration"),
        ("5s", "expected a duration"),
    ],
)
def test_until_refuses_the_past_and_nonsense(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_until(text, NOW, BERLIN)


def test_matchers_are_key_value_pairs() -> None:
    parsed = parse_matchers(["theme=cx", " level = epic ", "key=PORT-7", "value_stream=Payments"])
    assert parsed == {"theme": "cx", "level": "epic", "key": "PORT-7", "value_stream": "Payments"}
    assert parse_matchers([]) == {}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["them=cx"], "unknown matcher key 'them' \\(did you mean 'theme'\\?\\)"),
        (["owner=ada"], "unknown matcher key 'owner'; expected one of theme, value_stream"),
        (["theme"], "expected key=value"),
        (["theme="], "expected key=value"),
        (["level=initiative"], "unknown level 'initiative'"),
        (["severity=critcal"], "did you mean 'critical'"),
        (["theme=cx", "theme=legacy"], "given twice"),
        (["theme=cxx"], "unknown theme 'cxx' \\(did you mean 'cx'\\?\\)"),
        (["state=Implementin"], "did you mean 'Implementing'"),
    ],
)
def test_bad_matchers_are_refused(pairs: list[str], message: str) -> None:
    known = {"theme": ["cx", "legacy"], "state": ["Funnel", "Implementing", "Done"]}
    with pytest.raises(ValueError, match=message):
        parse_matchers(pairs, known)


def test_the_same_matcher_twice_with_one_value_is_fine() -> None:
    assert parse_matchers(["theme=cx", "theme=cx"]) == {"theme": "cx"}


def test_rule_ids_are_checked_with_a_suggestion() -> None:
    assert check_rule("wip-breach") == "wip-breach"
    with pytest.raises(
        ValueError, match="unknown rule id 'wip-breech' \\(did you mean 'wip-breach'"
    ):
        check_rule("wip-breech")
    with pytest.raises(ValueError, match="expected one of unaligned, retired-theme"):
        check_rule("zzz")
