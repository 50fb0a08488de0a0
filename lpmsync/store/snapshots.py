"""Snapshots of the digest's headline numbers, for week-over-week deltas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select

from lpmsync.domain.findings import JsonValue
from lpmsync.store.items import _insert_for
from lpmsync.store.schema import snapshots


class SnapshotRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, taken_at: datetime, metrics: Mapping[str, JsonValue]) -> None:
        """Store the metrics taken at `taken_at`; saving the same instant again replaces them."""
        with self._engine.begin() as conn:
            statement = _insert_for(conn)(snapshots).values(
                taken_at=taken_at, metrics=dict(metrics)
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["taken_at"], set_={"metrics": statement.excluded.metrics}
                )
            )

    def latest_before(self, at: datetime) -> tuple[datetime, dict[str, JsonValue]] | None:
        """The newest snapshot taken strictly before `at`, or None."""
        query = (
            select(snapshots.c.taken_at, snapshots.c.metrics)
            .where(snapshots.c.taken_at < at)
            .order_by(snapshots.c.taken_at.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.taken_at, dict(row.metrics)) if row is not None else None
