"""Bulk writes through the driver: sqlite3's `executemany`; on PostgreSQL, `COPY` into a
temporary staging table and one `INSERT … SELECT … ON CONFLICT` (psycopg's `executemany`, even
pipelined, does Python work per row), or `executemany` for a few rows.

SQLAlchemy's per-row parameter processing was the largest single cost of a full sync. Here the
statement is written once per table and dialect with positional parameters, each row becomes a
tuple in C (`operator.itemgetter` over a mapping, `attrgetter` over an object whose attributes
are named like the columns), and only the columns that need it are converted: JSON by orjson,
`UtcDateTime` by the same rule as the type itself, and any other type with a bind processor by
that processor, so a column added later is still written right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection, Dialect

from lpmsync.store.schema import UtcDateTime

COPY_FROM = 20  # rows from which PostgreSQL gets them by COPY (3 statements instead of 1)
TEMPORARY_ALLOWED = "lpmsync_temporary_allowed"  # in a pooled connection's `info`

Convert = Callable[[Sequence[Any]], Sequence[Any]]  # one column's values, in row order


@dataclass(frozen=True)
class _Plan:
    sql: str
    read_mapping: Callable[[Any], Any]  # row -> the values of every column, in order
    read_object: Callable[[Any], Any]
    converters: tuple[tuple[int, Convert], ...]  # (column position, converter) where needed
    # PostgreSQL: (create the staging table, COPY into it, move its rows) statements.
    stage: tuple[str, str, str] | None = None
    dedupe: Callable[[Any], Any] | None = None  # the conflict key of a converted row


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Any],
    conflict: tuple[str, ...],
    *,
    update: bool = True,
    objects: bool = False,
) -> None:
    """INSERT … ON CONFLICT (conflict) DO UPDATE every other column (or DO NOTHING).

    `rows` are mappings by column name, or with `objects=True` objects with an attribute per
    column (a dataclass named like the table's columns), read without building a dict each."""
    if not rows:
        return
    dialect = conn.dialect
    plan = _plan(table, dialect.name, conflict, update, dialect)
    read = plan.read_object if objects else plan.read_mapping
    if plan.converters:  # column by column: the loops over rows stay in C but for conversions
        columns: list[Sequence[Any]] = list(zip(*map(read, rows), strict=True))
        for position, convert in plan.converters:
            columns[position] = convert(columns[position])
        values: list[Any] = list(zip(*columns, strict=True))
    else:
        values = list(map(read, rows))
    if plan.stage is not None and len(values) >= COPY_FROM and _temporary_allowed(conn):
        _copy_upsert(conn, plan, values)
    else:
        conn.exec_driver_sql(plan.sql, values)


def _temporary_allowed(conn: Connection) -> bool:
    """Whether this role may create temporary tables here (PostgreSQL grants it to everyone by
    default; a hardened database may not): asked once per pooled connection."""
    info = conn.connection.info
    if TEMPORARY_ALLOWED not in info:
        sql = "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
        info[TEMPORARY_ALLOWED] = bool(conn.exec_driver_sql(sql).scalar())
    return bool(info[TEMPORARY_ALLOWED])


def _copy_upsert(conn: Connection, plan: _Plan, values: list[Any]) -> None:
    """PostgreSQL: COPY the rows into a session's staging table, then one INSERT … SELECT …
    ON CONFLICT moves them (psycopg's executemany spends Python work on every row)."""
    assert plan.stage is not None
    create, copy_sql, move = plan.stage
    if plan.dedupe is not None:  # one INSERT may not update the same row twice: last one wins
        values = list({plan.dedupe(row): row for row in values}.values())
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(create)
        with cursor.copy(copy_sql) as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(move)
    finally:
        cursor.close()


def keyed_values(
    conn: Connection, table: Table, source: str, keys: Sequence[str], column: str
) -> dict[str, Any]:
    """`column` of the rows of `source` whose key is in `keys`, by key: one statement per
    chunk through the driver (the primary key's index answers it)."""
    found: dict[str, Any] = {}
    mark = _marker(conn.dialect.name)
    quote = conn.dialect.identifier_preparer.quote
    name = conn.dialect.identifier_preparer.format_table(table)
    condition = f"{quote('source')} = {mark} AND {quote('key')}"
    params: tuple[Any, ...]
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        if conn.dialect.name == "postgresql":  # one array parameter: one statement text
            where, params = f"{condition} = ANY({mark})", (source, chunk)
        else:
            where, params = f"{condition} IN ({', '.join([mark] * len(chunk))})", (source, *chunk)
        # Identifiers come from the table definition, quoted by the dialect; values are bound.
        sql = f"SELECT {quote('key')}, {quote(column)} FROM {name} WHERE {where}"  # noqa: S608
        found.update(iter(conn.exec_driver_sql(sql, params)))
    return found


def source_keys(conn: Connection, table: Table, source: str) -> set[str]:
    """Every key `table` holds for `source`, through the driver (asked once per page)."""
    quote = conn.dialect.identifier_preparer.quote
    name = conn.dialect.identifier_preparer.format_table(table)
    mark = _marker(conn.dialect.name)
    # Identifiers come from the table definition, quoted by the dialect; the value is bound.
    sql = f"SELECT {quote('key')} FROM {name} WHERE {quote('source')} = {mark}"  # noqa: S608
    return {key for (key,) in conn.exec_driver_sql(sql, (source,))}


_CHUNK = 500  # keys per statement: SQLite's variable limit is far above it


def _marker(dialect_name: str) -> str:
    return "%s" if dialect_name == "postgresql" else "?"


@cache
def _plan(
    table: Table, dialect_name: str, conflict: tuple[str, ...], update: bool, dialect: Dialect
) -> _Plan:
    names = [column.name for column in table.columns if column.name in _writable(table)]
    quote = dialect.identifier_preparer.quote
    quoted = [quote(name) for name in names]
    target = ", ".join(quote(name) for name in conflict)
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
    table_sql = dialect.identifier_preparer.format_table(table)
    columns = ", ".join(quoted)
    placeholders = ", ".join([_marker(dialect_name)] * len(names))
    sql = f"INSERT INTO {table_sql} ({columns}) VALUES ({placeholders}) ON CONFLICT {action}"  # noqa: S608
    converters = tuple(
        (position, convert)
        for position, name in enumerate(names)
        if (convert := _converter(table.columns[name].type, dialect)) is not None
    )
    # One column: the getters return a bare value, so wrap it in a tuple.
    read_mapping = itemgetter(*names) if len(names) > 1 else _single(itemgetter(names[0]))
    read_object = attrgetter(*names) if len(names) > 1 else _single(attrgetter(names[0]))
    if dialect_name != "postgresql":
        return _Plan(sql, read_mapping, read_object, converters)
    positions = [names.index(name) for name in conflict]
    dedupe = itemgetter(*positions) if update and positions else None
    stage = _stage_sql(table.name, table_sql, columns, action)
    return _Plan(sql, read_mapping, read_object, converters, stage, dedupe)


def _stage_sql(name: str, table_sql: str, columns: str, action: str) -> tuple[str, str, str]:
    """Statements of the COPY path: a temporary table emptied at each commit, shaped like the
    written columns of the table, then one INSERT … SELECT from it with the same ON CONFLICT.
    `CREATE … IF NOT EXISTS` runs in every transaction, so a pooler that hands each
    transaction another session still finds the table."""
    stage = f"lpmsync_stage_{name}"
    # Identifiers come from the table definition, quoted by the dialect; no values here.
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {columns} FROM {table_sql} WITH NO DATA"
    )
    copy = f"COPY {stage} ({columns}) FROM STDIN"
    move = f"INSERT INTO {table_sql} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT {action}"  # noqa: S608
    return create, copy, move


def _single(get: Callable[[Any], Any]) -> Callable[[Any], tuple[Any]]:
    return lambda row: (get(row),)


def _writable(table: Table) -> frozenset[str]:
    """Every column but an autoincrementing integer key (the database assigns it)."""
    auto = table.autoincrement_column
    return frozenset(c.name for c in table.columns if auto is None or c.name != auto.name)


def _converter(column_type: Any, dialect: Dialect) -> Convert | None:
    if isinstance(column_type, UtcDateTime):
        return _sqlite_datetimes if dialect.name == "sqlite" else _aware_datetimes
    if isinstance(column_type, JSON):
        return _json
    processor: Callable[[Any], Any] | None = column_type.bind_processor(dialect)
    return None if processor is None else partial(_each, processor)


def _each(processor: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    return [processor(value) for value in column]


def _json(column: Sequence[Any]) -> list[str | None]:
    return [None if value is None else orjson.dumps(value).decode() for value in column]


def _aware_datetimes(column: Sequence[datetime | None]) -> Sequence[datetime | None]:
    if any(value is not None and value.tzinfo is None for value in column):
        raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
    return column


def _sqlite_datetimes(column: Sequence[datetime | None]) -> list[str | None]:
    """SQLAlchemy's SQLite DATETIME text ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC), so reads
    and SQL comparisons see one format whichever path wrote the row. A column in UTC (what the
    connectors hand over) is written by orjson in one call: `isoformat` per value cost 0.8 µs,
    most of it the time zone's offset; anything else is converted a value at a time."""
    if not _DATETIME_OR_NONE.issuperset(map(type, column)):  # a subclass, a date, a string
        return _each(_sqlite_datetime, column)
    text = orjson.dumps(column, option=orjson.OPT_UTC_Z)
    # Every value at UTC ends in 'Z"'; naive or other offsets would not (counted, not parsed).
    if text.count(b'Z"') != len(column) - column.count(None):
        return _each(_sqlite_datetime, column)
    values: list[str | None] = orjson.loads(text.replace(b"T", b" ").replace(b'Z"', b'"'))
    # orjson leaves out a zero fraction ('YYYY-MM-DD HH:MM:SS', 19 characters).
    return [
        value + ".000000" if value is not None and len(value) == _WHOLE_SECONDS else value
        for value in values
    ]


_WHOLE_SECONDS = len("YYYY-MM-DD HH:MM:SS")
_DATETIME_OR_NONE = frozenset((datetime, type(None)))


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
