"""Silences: alerts of a rule (and matching scope) held back until a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from lpmsync.domain.alerts import Silence
from lpmsync.store.schema import silences


def _silence(row: Any) -> Silence:
    return Silence(
        id=row.id,
        rule=row.rule,
        matchers=dict(row.matchers),
        until=row.until,
        comment=row.comment,
        created_at=row.created_at,
        expired_at=row.expired_at,
        fingerprints=frozenset(row.fingerprints or ()),
        author=row.author,
    )


class SilenceRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, silence: Silence) -> int:
        """Store a new silence (its `id` is ignored) and return its id."""
        with self._engine.begin() as conn:
            return add_silence(conn, silence)

    def active(self, now: datetime) -> list[Silence]:
        """Silences in force at `now`: not expired by hand and `until` still ahead."""
        query = (
            select(silences)
            .where(silences.c.expired_at.is_(None), silences.c.until > now)
            .order_by(silences.c.id)
        )
        with self._engine.connect() as conn:
            return [_silence(row) for row in conn.execute(query)]

    def list_all(self) -> list[Silence]:
        """Every silence, active or not, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(silences).order_by(silences.c.id.desc()))
            return [_silence(row) for row in rows]

    def get(self, silence_id: int) -> Silence | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(silences).where(silences.c.id == silence_id)).first()
        return _silence(row) if row is not None else None

    def expire(self, silence_id: int, now: datetime) -> bool:
        """End a silence now. False when there is no such silence or it has already ended."""
        with self._engine.begin() as conn:
            return expire_silence(conn, silence_id, now)


def add_silence(conn: Connection, silence: Silence) -> int:
    """Insert `silence` inside `conn`'s transaction (so an audit row can join it)."""
    if silence.created_at is None:
        raise ValueError("a silence needs created_at")
    result = conn.execute(
        insert(silences).values(
            rule=silence.rule,
            matchers=dict(silence.matchers),
            until=silence.until,
            comment=silence.comment,
            created_at=silence.created_at,
            expired_at=silence.expired_at,
            fingerprints=sorted(silence.fingerprints) or None,
            author=silence.author,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def expire_silence(conn: Connection, silence_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(silences)
        .where(
            silences.c.id == silence_id,
            silences.c.expired_at.is_(None),
            silences.c.until > now,
        )
        .values(expired_at=now)
    )
    return result.rowcount == 1
