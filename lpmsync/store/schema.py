"""Tables. Every change here needs an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; lpmsync stores UTC only")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("id", String(255), nullable=False),
    Column("level", String(20), nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("status", String(255), nullable=False),
    Column("state", String(100), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    Column("entered_state_at", UtcDateTime),
    Column("parent_source", String(100)),
    Column("parent_key", String(255)),
    Column("theme_values", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("components", JSON, nullable=False),
    Column("area_path", Text),
    Column("value_stream", String(255)),
    Column("owner", String(255)),
    Column("estimate", Float),
    Column("wsjf", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
)
Index("ix_items_state", items.c.state)

state_changes = Table(
    "state_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("key", String(255), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_status", String(255)),
    Column("to_status", String(255), nullable=False),
    UniqueConstraint("source", "key", "at", "to_status", name="uq_state_changes_transition"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("cursor", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(50), nullable=False),
    Column("source", String(100)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(20), nullable=False),  # running | ok | partial | failed
    Column("stats", JSON, nullable=False),
    Column("error", Text),
)
Index("ix_runs_job_source_started", runs.c.job, runs.c.source, runs.c.started_at)
