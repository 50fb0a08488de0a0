"""Reading `lpmsync silence add` arguments: rule ids, `key=value` matchers, `--until`.

Pure functions (the time zone and `now` are passed in); each raises `ValueError` with the
sentence the operator sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from difflib import get_close_matches
from zoneinfo import ZoneInfo

from lpmsync.domain.findings import RuleId, Severity
from lpmsync.domain.model import Level

RULE_IDS = tuple(rule.value for rule in RuleId)
MATCHER_KEYS = ("theme", "value_stream", "state", "level", "severity", "source", "key")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_rule(rule: str) -> str:
    if rule not in RULE_IDS:
        raise ValueError(
            f"unknown rule id {rule!r}{did_you_mean(rule, RULE_IDS)}; "
            f"expected one of {', '.join(RULE_IDS)}"
        )
    return rule


def parse_matchers(
    pairs: Sequence[str], known_values: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """`key=value` pairs. `known_values` lists the valid values of some keys (themes, states,
    sources from the config); a value outside them is refused, so a typo cannot silence
    nothing for weeks."""
    choices = {
        "level": [level.value for level in Level],
        "severity": [severity.value for severity in Severity],
        **(known_values or {}),
    }
    matchers: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not separator or not key or not value:
            raise ValueError(f"expected key=value, got {pair!r}")
        if key not in MATCHER_KEYS:
            raise ValueError(
                f"unknown matcher key {key!r}{did_you_mean(key, MATCHER_KEYS)}; "
                f"expected one of {', '.join(MATCHER_KEYS)}"
            )
        allowed = choices.get(key)
        if allowed and value not in allowed:
            raise ValueError(
                f"unknown {key} {value!r}{did_you_mean(value, allowed)}; "
                f"expected one of {', '.join(allowed)}"
            )
        if key in matchers and matchers[key] != value:
            raise ValueError(f"matcher {key!r} given twice")
        matchers[key] = value
    return matchers


def parse_until(
    text: str, now: datetime, zone: ZoneInfo, longest: timedelta | None = None
) -> datetime:
    """When a silence ends, as a UTC-aware datetime.

    - a duration from now: `90m`, `8h`, `3d`, `2w`;
    - a date, `2026-12-01`: through that whole day, in the portfolio's time zone;
    - a date and time, `2026-12-01T09:00` or `2026-12-01 09:00`: in the portfolio's time zone
      unless it carries an offset (`...+01:00`, `...Z`).
    """
    value = text.strip()
    duration = _DURATION.match(value)
    if duration:
        try:
            until = now + timedelta(**{_UNITS[duration.group(2)]: float(duration.group(1))})
        except OverflowError:
            raise ValueError(f"--until {text!r} is too far in the future") from None
    else:
        until = _absolute(value, zone)
    if until <= now:
        raise ValueError(f"--until {text!r} is not in the future")
    if longest is not None and until - now > longest:
        raise ValueError(
            f"--until {text!r} is {(until - now).days} days away; silences last at most "
            f"{longest.days} days (notify.max_silence), so a forgotten one cannot hide alerts "
            "for good"
        )
    return until


def _absolute(value: str, zone: ZoneInfo) -> datetime:
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"--until {value!r}: expected a duration (8h, 3d, 2w), a date (2026-12-01) "
            "or a date and time (2026-12-01T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
