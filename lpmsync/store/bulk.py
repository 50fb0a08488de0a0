"""Bulk writes through the driver's own `executemany` (sqlite3; psycopg, which pipelines it).

SQLAlchemy's per-row parameter processing was the largest single cost of a full sync. Here the
statement is written once per table and dialect, and each row is converted only where a column
needs it: JSON columns by orjson, `UtcDateTime` by the same rule as the type itself, and any other
type with a bind processor by that processor, so a column added later is still written right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection, Dialect

from lpmsync.store.schema import UtcDateTime

Convert = Callable[[Any], Any]


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: tuple[str, ...],
    *,
    update: bool = True,
) -> None:
    """INSERT … ON CONFLICT (conflict) DO UPDATE every other column (or DO NOTHING)."""
    if not rows:
        return
    dialect = conn.dialect
    sql, converters = _plan(table, dialect.name, conflict, update, dialect)
    if converters:
        prepared: list[dict[str, Any]] = []
        for row in rows:
            values = dict(row)
            for name, convert in converters:
                values[name] = convert(values[name])
            prepared.append(values)
        conn.exec_driver_sql(sql, prepared)
    else:
        conn.exec_driver_sql(sql, [dict(row) for row in rows])


@cache
def _plan(
    table: Table, dialect_name: str, conflict: tuple[str, ...], update: bool, dialect: Dialect
) -> tuple[str, tuple[tuple[str, Convert], ...]]:
    names = [column.name for column in table.columns if column.name in _writable(table)]
    style = "%({})s" if dialect_name == "postgresql" else ":{}"
    quoted = [dialect.identifier_preparer.quote(name) for name in names]
    placeholders = ", ".join(style.format(name) for name in names)
    target = ", ".join(dialect.identifier_preparer.quote(name) for name in conflict)
    if update:
        assignments = ", ".join(
            f"{q} = excluded.{q}"
            for name, q in zip(names, quoted, strict=True)
            if name not in conflict
        )
        action = f"({target}) DO UPDATE SET {assignments}"
    else:
        action = f"({target}) DO NOTHING" if conflict else "DO NOTHING"
    # Identifiers come from the table definition, quoted by the dialect; values are bound.
    into = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(quoted)})"
    sql = f"INSERT INTO {into} VALUES ({placeholders}) ON CONFLICT {action}"  # noqa: S608
    converters = tuple(
        (name, convert)
        for name in names
        if (convert := _converter(table.columns[name].type, dialect)) is not None
    )
    return sql, converters


def _writable(table: Table) -> frozenset[str]:
    """Every column but an autoincrementing integer key (the database assigns it)."""
    auto = table.autoincrement_column
    return frozenset(c.name for c in table.columns if auto is None or c.name != auto.name)


def _converter(column_type: Any, dialect: Dialect) -> Convert | None:
    if isinstance(column_type, UtcDateTime):
        return _sqlite_datetime if dialect.name == "sqlite" else _aware_datetime
    if isinstance(column_type, JSON):
        return _json
    processor: Convert | None = column_type.bind_processor(dialect)
    return processor


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _aware_datetime(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
    return value


def _sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC), so reads
    and SQL comparisons see one format whichever path wrote the row."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the connectors hand over UTC; anything else is converted
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"
