"""Bulk writes through the driver: sqlite3's `executemany`; on PostgreSQL, the rows as one JSON
array of objects (written by orjson in C: mappings and dataclasses as they are) and one
`INSERT … SELECT … FROM json_populate_recordset(…) ON CONFLICT`, which reads each row once with
the table's own column types (psycopg's `executemany`, even pipelined, and `COPY`'s `write_row`
do Python work per row). Rows orjson cannot write (an integer beyond 64 bits, a lone surrogate,
an object that is not a dataclass) go by `executemany`, which judges them as before.

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
from math import isfinite
from operator import attrgetter, is_not, itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Float, LargeBinary, Table
from sqlalchemy.engine import Connection, Dialect

from lpmsync.store.schema import UtcDateTime

Convert = Callable[[Sequence[Any]], Sequence[Any]]  # one column's values, in row order


@dataclass(frozen=True)
class _Plan:
    sql: str
    read_mapping: Callable[[Any], Any]  # row -> the values of every column, in order
    read_object: Callable[[Any], Any]
    converters: tuple[tuple[int, Convert], ...]  # (column position, converter) where needed
    # PostgreSQL: the INSERT … SELECT from one JSON array of rows (objects named like the
    # columns); None where a column's type cannot travel as JSON (bytes).
    from_json: str | None = None
    dedupe: Callable[[Any], Any] | None = None  # the conflict key of a row's values
    aware: tuple[Callable[[Any], Any], ...] = ()  # getters of the UtcDateTime values of a row
    floats: tuple[Callable[[Any], Any], ...] = ()  # and of the Float ones


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
    if plan.from_json is not None:
        document = _json_rows(plan, rows, list(map(read, rows)))  # (the values are checked)
        if document is not None:
            conn.exec_driver_sql(plan.from_json, (document,))
            return
    if plan.converters:  # column by column: the loops over rows stay in C but for conversions
        columns: list[Sequence[Any]] = list(zip(*map(read, rows), strict=True))
        for position, convert in plan.converters:
            columns[position] = convert(columns[position])
        values: list[Any] = list(zip(*columns, strict=True))
    else:
        values = list(map(read, rows))
    conn.exec_driver_sql(plan.sql, values)


def _json_rows(plan: _Plan, rows: Sequence[Any], values: list[Any]) -> str | None:
    """PostgreSQL: `rows` as one JSON array of objects, or None when orjson cannot write one of
    them (then `executemany` takes the page and judges it as it always did). `values` are the
    rows' values in column order (read as for executemany: a missing column raises)."""
    for get in plan.aware:  # JSON would carry a naive datetime as local time: refuse it here
        if None in map(_TZINFO, filter(None, map(get, values))):
            raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
    for get in plan.floats:  # orjson writes NaN and infinities as null: leave them to the driver
        if not all(map(isfinite, filter(_NOT_NONE, map(get, values)))):
            return None
    if plan.dedupe is not None:  # one INSERT may not update the same row twice: last one wins
        key = plan.dedupe
        rows = list({key(value): row for value, row in zip(values, rows, strict=True)}.values())
    try:
        return orjson.dumps(rows).decode()
    except orjson.JSONEncodeError:
        return None


_TZINFO = attrgetter("tzinfo")
_NOT_NONE = partial(is_not, None)


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
        if conn.dialect.name == "postgresql":  # one JSON parameter: one statement text
            # orjson writes it in C; psycopg dumps a list in Python, and `= ANY(array)` planned
            # generically once prepared took 5-6 ms a page where this takes under 1.
            keyed = f"IN (SELECT json_array_elements_text(CAST({mark} AS json)))"
            where, params = f"{condition} {keyed}", (source, orjson.dumps(chunk).decode())
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
    aware = _getters(table, names, UtcDateTime)
    floats = _getters(table, names, Float)
    from_json = _from_json_sql(table, names, action, dialect)
    return _Plan(sql, read_mapping, read_object, converters, from_json, dedupe, aware, floats)


def _getters(table: Table, names: list[str], kind: type) -> tuple[Callable[[Any], Any], ...]:
    return tuple(
        itemgetter(n) for n, name in enumerate(names) if isinstance(table.c[name].type, kind)
    )


def _from_json_sql(table: Table, names: list[str], action: str, dialect: Dialect) -> str | None:
    """INSERT … SELECT from a JSON array of objects named like the columns, each read once into
    the table's row type: text as it is (checked against the column's length, as for any
    insert), a JSON column as its own text, null as SQL NULL (as a bound None was), every other
    type from the text orjson wrote (ISO 8601 instants with their offset, shortest
    round-tripping floats, ISO dates)."""
    if any(isinstance(table.c[name].type, LargeBinary) for name in names):
        return None
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    table_sql = dialect.identifier_preparer.format_table(table)
    # Identifiers come from the table definition; the rows are one bound value.
    return (
        f"INSERT INTO {table_sql} ({columns}) SELECT {columns} "  # noqa: S608
        f"FROM json_populate_recordset(CAST(NULL AS {table_sql}), CAST(%s AS json)) "
        f"ON CONFLICT {action}"
    )


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
