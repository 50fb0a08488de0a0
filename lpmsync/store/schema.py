"""Tables. Every change here needs an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
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
    Column("target_date", Date),  # migration 0005
    Column("content_hash", String(64), nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
)
Index("ix_items_state", items.c.state)

# Keyed by the transition (migration 0008; on SQLite the rows live in that index alone).
state_changes = Table(
    "state_changes",
    metadata,
    Column("source", String(100), nullable=False),
    Column("key", String(255), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_status", String(255)),
    Column("to_status", String(255), nullable=False),
    PrimaryKeyConstraint("source", "key", "at", "to_status", name="pk_state_changes"),
    sqlite_with_rowid=False,
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
    Column("status", String(20), nullable=False),  # running | ok | partial | failed | abandoned
    Column("stats", JSON, nullable=False),
    Column("error", Text),
)
Index("ix_runs_job_source_started", runs.c.job, runs.c.source, runs.c.started_at)

# --- alerts, outbox, silences, snapshots (migration 0002) ---

alerts = Table(
    "alerts",
    metadata,
    Column("fingerprint", String(255), primary_key=True),
    Column("rule", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # firing | resolved
    Column("finding", JSON, nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("last_notified", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("channel", String(255)),
    Column("message_ts", String(64)),
    # Its announcement went out after it had resolved: the next check edits and replies (0003).
    Column("correction_due", Boolean, nullable=False, server_default=false()),
)
Index("ix_alerts_status_rule", alerts.c.status, alerts.c.rule)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(255), nullable=False),
    Column("kind", String(20), nullable=False),  # post | update | upload
    Column("channel", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("blocks", JSON, nullable=False),
    Column("target_ts", String(64)),
    Column("parent_key", String(255)),
    Column("alert_fingerprints", JSON, nullable=False),
    Column("not_before", UtcDateTime),
    Column("file_content", LargeBinary),
    Column("filename", String(255)),
    Column("title", Text),
    Column("status", String(20), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(255)),
    Column("claimed_until", UtcDateTime),
    Column("last_error", Text),
    Column("error_code", String(100)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("sent_channel", String(255)),
    Column("sent_ts", String(64)),
    # When the first attempt started (bounds the history search), and when the attempt whose
    # outcome is not known yet started: set before the request, cleared by its outcome (0003).
    Column("first_attempt_at", UtcDateTime),
    Column("attempt_started_at", UtcDateTime),
    UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
)
Index("ix_outbox_status_next_attempt", outbox.c.status, outbox.c.next_attempt_at)

silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(100), nullable=False),
    Column("matchers", JSON, nullable=False),
    Column("until", UtcDateTime, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expired_at", UtcDateTime),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("taken_at", UtcDateTime, nullable=False),
    Column("metrics", JSON, nullable=False),
    UniqueConstraint("taken_at", name="uq_snapshots_taken_at"),
)

# --- acknowledgements, snooze scope and authors, the audit trail (migration 0006) ---

alerts.append_column(Column("acknowledged_by", String(255)))
alerts.append_column(Column("acknowledged_at", UtcDateTime))
alerts.append_column(Column("acknowledged_signature", String(1000)))
silences.append_column(Column("fingerprints", JSON))
silences.append_column(Column("author", String(255)))

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(50), nullable=False),
    Column("origin", String(20), nullable=False),  # slack | cli
    Column("fingerprints", JSON, nullable=False),
    Column("channel", String(255)),
    Column("message_ts", String(64)),
    Column("detail", JSON, nullable=False),
)
Index("ix_audit_at", audit.c.at)

# --- skipped items (migration 0007) ---

skipped_items = Table(
    "skipped_items",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
)
