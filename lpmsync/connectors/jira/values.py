"""Reading single Jira field values: pure helpers for `jira_mapping`.

Jira custom fields come in many shapes (a select option `{"value": ...}`, a plain string, a
number, a list of options, a user object, an Advanced Roadmaps parent `{"data": {"key": ...}}`).
Each helper accepts every shape Jira Cloud and Data Center send for that kind of field and raises
`SkippableItemError` for anything else, so a malformed item is skipped with a precise reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from lpmsync.errors import SkippableItemError

JSON_OBJECT = (dict, Mapping)
"""For isinstance: decoded JSON objects are dicts, checked first (a `Mapping` ABC check is slow)."""


class MalformedValueError(SkippableItemError):
    """A field value of the wrong shape; the item key is filled in by the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__("", reason)


def parse_datetime(value: object, what: str) -> datetime:
    """Jira's `2026-05-01T12:00:00.000+0000` (or any ISO-8601 form) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise MalformedValueError(f"{what} is missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedValueError(f"{what} is not a date-time: {value[:40]!r}") from exc
    if parsed.tzinfo is UTC:  # Jira Cloud's `+0000`: already the store's form, no conversion
        return parsed
    if parsed.tzinfo is None:  # Jira always sends an offset; a bare time is read as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utc_offset_minutes(value: object) -> int | None:
    """The UTC offset Jira wrote a date-time with (the API user's time zone), in minutes."""
    if not isinstance(value, str):
        return None
    try:
        offset = datetime.fromisoformat(value).utcoffset()
    except ValueError:
        return None
    return None if offset is None else int(offset.total_seconds() // 60)


def option_text(value: object) -> str | None:
    """The text of one option-like value: a string, a number, `{"value"}`, `{"name"}`."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedValueError(f"expected text or an option, got {value!r}")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):  # exact: `:g` would need a float, and a huge int has none
        return str(value)
    if isinstance(value, JSON_OBJECT):
        for name in ("value", "name", "key"):
            text = value.get(name)
            if isinstance(text, str) and text.strip():
                return text.strip()
        return None
    raise MalformedValueError(f"expected text or an option, got {type(value).__name__}")


def texts(value: object, what: str) -> tuple[str, ...]:
    """Every text of a single- or multi-value field, in order, without blanks and repeats."""
    values = value if isinstance(value, list) else [value]
    found: list[str] = []
    for one in values:
        try:
            text = option_text(one)
        except MalformedValueError as exc:
            raise MalformedValueError(f"{what}: {exc.reason}") from exc
        if text is not None and text not in found:
            found.append(text)
    return tuple(found)


def number(value: object, what: str) -> float | None:
    """A numeric field; missing stays None (missing is not zero)."""
    if value is None or value == "":
        return None
    if type(value) is float and math.isfinite(value):  # the usual case: as it is
        return value
    if isinstance(value, JSON_OBJECT):  # a select list of numbers: {"value": "8"}
        return number(value.get("value"), what)
    if isinstance(value, bool):
        raise MalformedValueError(f"{what} is not a number: {value!r}")
    if not isinstance(value, int | float | str):
        raise MalformedValueError(f"{what} is not a number: {type(value).__name__}")
    try:
        parsed = float(value)
    except ValueError:
        raise MalformedValueError(f"{what} is not a number: {_shown_number(value)}") from None
    except OverflowError:  # an int too large for a float
        shown = _shown_number(value)
        raise MalformedValueError(f"{what} is too large for a number: {shown}") from None
    if not math.isfinite(parsed):  # NaN, or `1e400`, which JSON parsing turns into inf
        raise MalformedValueError(f"{what} is not a finite number: {_shown_number(value)}")
    return parsed


def _shown_number(value: int | float | str) -> str:
    """A bad number as a reason may quote it: short, and never a conversion that fails."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    return repr(value)


def person(value: object, what: str) -> str | None:
    """A user field as an owner: e-mail when Jira shows it, else the display name."""
    if value is None:
        return None
    if isinstance(value, list):
        return person(value[0], what) if value else None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, JSON_OBJECT):
        for name in ("emailAddress", "displayName", "name"):
            text = value.get(name)
            if isinstance(text, str) and text.strip():
                return text.strip()
        return None
    raise MalformedValueError(f"{what} is not a user: {type(value).__name__}")


def issue_key_of(value: object, what: str) -> str | None:
    """A link to another issue: Cloud `parent` `{"key"}`, DC Epic Link `"KEY"`, Advanced
    Roadmaps Parent Link `{"data": {"key"}}`."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, JSON_OBJECT):
        key = value.get("key")
        if isinstance(key, str) and key:
            return key
        data = value.get("data")
        return issue_key_of(data, what) if isinstance(data, JSON_OBJECT) else None
    raise MalformedValueError(f"{what} is not an issue link: {type(value).__name__}")


def names(value: object, what: str) -> tuple[str, ...]:
    """Labels (strings) or components (`{"name"}` objects) as a tuple of names."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedValueError(f"{what} is not a list")
    found: list[str] = []
    for one in value:
        name: Any = (
            one if type(one) is str else one.get("name") if isinstance(one, JSON_OBJECT) else one
        )
        if not isinstance(name, str):
            raise MalformedValueError(f"{what} holds a {type(one).__name__}, not a name")
        if name and name not in found:
            found.append(name)
    return tuple(found)


def named(value: object, what: str) -> tuple[str, str | None]:
    """A required `{"name", "id"}` object (status, issue type) as (name, id)."""
    if not isinstance(value, JSON_OBJECT):
        raise MalformedValueError(f"{what} is missing")
    name, ident = value.get("name"), value.get("id")
    if not isinstance(name, str) or not name:
        raise MalformedValueError(f"{what} has no name")
    return name, ident if isinstance(ident, str) else None


def due_date(fields: Mapping[str, Any], field_id: str | None) -> date | None:
    """A date field (`duedate` is `2027-03-12`; a custom date-time field counts by its own day,
    as Jira shows it)."""
    return due_date_value(fields.get(field_id) if field_id else None, field_id)


def due_date_value(value: object, field_id: str | None) -> date | None:
    """`due_date` of the field's value."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedValueError(f"{field_id} is not a date")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise MalformedValueError(f"{field_id} is not a date: {value[:40]!r}") from exc
