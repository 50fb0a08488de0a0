"""Items, their state history and the sync cursors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Engine, String, delete, func, select, type_coerce
from sqlalchemy.engine import Connection

from lpmsync.domain.history import History, to_micros
from lpmsync.domain.history_columns import Chunk
from lpmsync.domain.model import UNMAPPED, Level, StateChange, WorkItem
from lpmsync.domain.sanitise import sanitise_page
from lpmsync.domain.sync import Cursor, PageOutcome, SyncPage
from lpmsync.store import bulk
from lpmsync.store.item_rows import read_items
from lpmsync.store.schema import cursors, items, skipped_items, state_changes

_CHUNK = 500  # rows per statement: keeps SQLite under its variable limit


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_LEVEL_TEXT = {level: level.value for level in Level}  # `.value` is a slow enum property


def item_to_row(item: WorkItem, synced_at: datetime) -> dict[str, Any]:
    """The one place an item becomes a row (the write path and the content hash both use it)."""
    parent = item.parent
    row: dict[str, Any] = {
        "source": item.source,
        "key": item.key,
        "id": item.id,
        "level": _LEVEL_TEXT[item.level],
        "title": item.title,
        "url": item.url,
        "status": item.status,
        "state": item.state,
        "created": item.created,
        "updated": item.updated,
        "entered_state_at": item.entered_state_at,
        "parent_source": parent.source if parent else None,
        "parent_key": parent.key if parent else None,
        # Tuples: orjson writes them as the same arrays (the hash and the JSON columns).
        "theme_values": item.theme_values,
        "labels": item.labels,
        "components": item.components,
        "area_path": item.area_path,
        "value_stream": item.value_stream,
        "owner": item.owner,
        "estimate": item.estimate,
        "wsjf": {
            "business_value": item.wsjf.business_value,
            "time_criticality": item.wsjf.time_criticality,
            "risk_reduction": item.wsjf.risk_reduction,
            "job_size": item.wsjf.job_size,
        },
    }
    if item.target_date is not None:  # absent from the hash otherwise: older rows keep theirs
        row["target_date"] = item.target_date
    # Compact canonical encoding: the keys in the fixed order above, datetimes as ISO 8601.
    row["content_hash"] = hashlib.sha256(orjson.dumps(row)).hexdigest()
    row.setdefault("target_date", None)
    row["synced_at"] = synced_at
    return row


class ItemRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def cursor(self, source: str) -> Cursor | None:
        with self._engine.connect() as conn:
            value = conn.execute(select(cursors.c.cursor).where(cursors.c.source == source))
            found = value.scalar_one_or_none()
        return dict(found) if found is not None else None

    def known_keys(self, source: str) -> frozenset[str]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(items.c.key).where(items.c.source == source))
            return frozenset(rows.scalars())

    def load(self, sources: Iterable[str] | None = None) -> list[WorkItem]:
        with self._engine.connect() as conn:
            return read_items(conn, sources)

    def history(
        self, sources: Iterable[str] | None = None, keys: Iterable[str] | None = None
    ) -> History:
        """The stored transitions as columns (see `History`), read as the driver returns them:
        no datetime or row object per transition; `keys` narrows them to those items (one
        item's page reads its own rows, not its source's)."""
        table = state_changes.c
        query = select(
            table.source,
            table.key,
            type_coerce(table.at, String),
            table.from_status,
            table.to_status,
        ).order_by(table.source, table.key, table.at)
        if sources is not None:
            query = query.where(table.source.in_(list(sources)))
        if keys is not None:
            query = query.where(table.key.in_(list(keys)))
        with self._engine.connect() as conn:
            # The driver's own rows, a chunk at a time: the raw types need no processing, Row
            # objects cost, and only the columns' integers and codes are kept.
            cursor = conn.execute(query).cursor
            return History.from_chunks(_columns(rows) for rows in _fetched(cursor))

    def hygiene_counts(self) -> dict[str, tuple[int, int]]:
        """Per source, (unmapped, skipped) items as the store holds them now: unmapped items in
        the store, and tracker items skipped as malformed that have not synced cleanly since."""
        counts: dict[str, list[int]] = {}
        unmapped = (
            select(items.c.source, func.count())
            .where(items.c.state == UNMAPPED)
            .group_by(items.c.source)
        )
        skipped = select(skipped_items.c.source, func.count()).group_by(skipped_items.c.source)
        with self._engine.connect() as conn:
            for source, count in conn.execute(unmapped):
                counts.setdefault(source, [0, 0])[0] = int(count)
            for source, count in conn.execute(skipped):
                counts.setdefault(source, [0, 0])[1] = int(count)
        return {source: (pair[0], pair[1]) for source, pair in counts.items()}

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(items)).scalar_one())

    def apply_page(self, source: str, page: SyncPage, now: datetime) -> PageOutcome:
        """Commit one page: items, history, removals and cursor in one transaction. Items the
        store cannot hold as they are (see `lpmsync.domain.sanitise`) are stored sanitised or
        refused; the refused ones come back in the outcome, so a bad item never fails a page."""
        page, refused = sanitise_page(page)
        with self._engine.begin() as conn:
            added, changed = self._upsert_items(conn, page.items, now)
            self._insert_history(conn, page.history)
            self._track_skipped(conn, source, page, now)
            removed = self._remove_out_of_scope(conn, source, page.scope)
            if page.cursor is not None:
                self._save_cursor(conn, source, page.cursor, now)
        return PageOutcome(added=added, changed=changed, removed=removed, refused=refused)

    def _upsert_items(
        self, conn: Connection, page_items: Sequence[WorkItem], now: datetime
    ) -> tuple[int, int]:
        if not page_items:
            return 0, 0
        rows = [item_to_row(item, now) for item in page_items]
        existing: dict[tuple[str, str], str] = {}
        for source in {row["source"] for row in rows}:  # one, from a connector
            keys = [row["key"] for row in rows if row["source"] == source]
            hashes = bulk.keyed_values(conn, items, source, keys, "content_hash")
            existing.update(((source, key), value) for key, value in hashes.items())
        added = changed = 0
        for row in rows:
            stored = existing.get((row["source"], row["key"]))
            added += stored is None
            changed += stored is not None and stored != row["content_hash"]
        bulk.upsert(conn, items, rows, ("source", "key"))
        return added, changed

    def _track_skipped(self, conn: Connection, source: str, page: SyncPage, now: datetime) -> None:
        """Remember skipped items until they sync cleanly (or leave the scope)."""
        # Usually none or a few: cheaper than a DELETE over every key of the page.
        stored = bulk.source_keys(conn, skipped_items, source)
        clean = stored.intersection(item.key for item in page.items)
        _delete_skipped(conn, source, clean)
        if page.skipped:
            rows = {
                s.key: {"source": source, "key": s.key, "reason": s.reason, "seen_at": now}
                for s in page.skipped
            }
            bulk.upsert(conn, skipped_items, list(rows.values()), ("source", "key"))
        if page.scope is not None:
            held = (stored - clean) | {s.key for s in page.skipped}
            _delete_skipped(conn, source, held - page.scope)

    def _insert_history(self, conn: Connection, history: Sequence[StateChange]) -> None:
        if not history:
            return
        bulk.upsert(conn, state_changes, history, (), update=False, objects=True)

    def _remove_out_of_scope(
        self, conn: Connection, source: str, scope: frozenset[str] | None
    ) -> int:
        if scope is None:
            return 0
        gone = sorted(bulk.source_keys(conn, items, source) - scope)  # no Row per stored key
        for chunk in _chunks(gone):
            conn.execute(delete(items).where(items.c.source == source, items.c.key.in_(chunk)))
            conn.execute(
                delete(state_changes).where(
                    state_changes.c.source == source, state_changes.c.key.in_(chunk)
                )
            )
        return len(gone)

    def _save_cursor(self, conn: Connection, source: str, cursor: Cursor, now: datetime) -> None:
        row = {"source": source, "cursor": dict(cursor), "updated_at": now}
        bulk.upsert(conn, cursors, [row], ("source",))

    def reset_cursor(self, source: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(cursors).where(cursors.c.source == source))


def _delete_skipped(conn: Connection, source: str, keys: set[str]) -> None:
    for chunk in _chunks(sorted(keys)):
        conn.execute(
            delete(skipped_items).where(
                skipped_items.c.source == source, skipped_items.c.key.in_(chunk)
            )
        )


_HISTORY_CHUNK = 20_000  # rows per fetch when reading history


def _fetched(cursor: Any) -> Iterator[list[Any]]:
    while rows := cursor.fetchmany(_HISTORY_CHUNK):
        yield rows


def _columns(rows: Sequence[Any]) -> Chunk:
    source, key, at, from_status, to_status = (list(map(itemgetter(i), rows)) for i in range(5))
    return source, key, _micros(at), from_status, to_status


def _micros(values: Sequence[Any]) -> Sequence[int]:
    """Instants as microseconds since the epoch: SQLite hands back its UTC text as stored,
    PostgreSQL timezone-aware datetimes."""
    if isinstance(values[0], str):
        return to_micros(map(datetime.fromisoformat, values), naive=True)
    return to_micros(values)


def _insert_for(conn: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL both have it)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415 (start-up time)

        return insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

    return sqlite_insert
