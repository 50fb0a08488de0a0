"""Stored items read back through the driver's own rows: no SQLAlchemy row object or result
processing per value, which cost more than the values' own parsing (`lpmsync report` and the
board read every item).

SQLite hands back what it stores (UTC datetimes and dates as ISO text, JSON as text); psycopg
hands back datetimes, dates and decoded JSON. Each column is converted whichever it gets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, String, Text, cast, select, type_coerce
from sqlalchemy.engine import Connection

from lpmsync.domain.model import ItemRef, Level, WorkItem, WsjfInputs, work_item
from lpmsync.store.schema import items

# Read as the driver returns them (no result processing); JSON as text, which orjson parses
# faster than psycopg's own decoding with the standard library.
_RAW = frozenset({"created", "updated", "entered_state_at", "target_date"})
_JSON = frozenset({"theme_values", "labels", "components", "wsjf"})
_COLUMNS = (
    *("source", "key", "id", "level", "title", "url", "status", "state", "created", "updated"),
    *("entered_state_at", "parent_source", "parent_key", "theme_values", "labels"),
    *("components", "area_path", "value_stream", "owner", "estimate", "wsjf", "target_date"),
)


def read_items(conn: Connection, sources: Iterable[str] | None) -> list[WorkItem]:
    """Every stored item of `sources` (None: all), by source and key."""
    query = select(*map(_as_stored, _COLUMNS)).order_by(items.c.source, items.c.key)
    if sources is not None:
        query = query.where(items.c.source.in_(list(sources)))
    return [_item(row) for row in conn.execute(query).cursor.fetchall()]


def _as_stored(name: str) -> ColumnElement[Any]:
    column = items.c[name]
    if name in _JSON:
        return cast(column, Text)
    return type_coerce(column, String) if name in _RAW else column


def _item(row: Sequence[Any]) -> WorkItem:
    (source, key, ident, level, title, url, status, state, created, updated, entered) = row[:11]
    parent_source, parent_key, themes, labels, components = row[11:16]
    area_path, value_stream, owner, estimate, wsjf, target_date = row[16:]
    return work_item(
        source,
        key,
        ident,
        Level(level),
        title,
        url,
        status,
        state,
        _instant(created),
        _instant(updated),
        None if entered is None else _instant(entered),
        ItemRef(parent_source, parent_key) if parent_key else None,
        tuple(_json(themes)),
        tuple(_json(labels)),
        tuple(_json(components)),
        area_path,
        value_stream,
        owner,
        estimate,
        WsjfInputs(**_json(wsjf)),
        _date(target_date),
    )


def _instant(value: datetime | str) -> datetime:
    """SQLite: UTC as naive ISO text; PostgreSQL: an aware datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value
