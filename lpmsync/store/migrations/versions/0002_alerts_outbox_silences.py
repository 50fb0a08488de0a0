"""Alerts, the Slack outbox, silences and digest snapshots.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("fingerprint", sa.String(255), primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("finding", sa.JSON, nullable=False),
        sa.Column("first_seen", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
        sa.Column("last_notified", UtcDateTime),
        sa.Column("resolved_at", UtcDateTime),
        sa.Column("channel", sa.String(255)),
        sa.Column("message_ts", sa.String(64)),
    )
    op.create_index("ix_alerts_status_rule", "alerts", ["status", "rule"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("blocks", sa.JSON, nullable=False),
        sa.Column("target_ts", sa.String(64)),
        sa.Column("parent_key", sa.String(255)),
        sa.Column("alert_fingerprints", sa.JSON, nullable=False),
        sa.Column("not_before", UtcDateTime),
        sa.Column("file_content", sa.LargeBinary),
        sa.Column("filename", sa.String(255)),
        sa.Column("title", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(255)),
        sa.Column("claimed_until", UtcDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("error_code", sa.String(100)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("sent_channel", sa.String(255)),
        sa.Column("sent_ts", sa.String(64)),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )
    op.create_index("ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("matchers", sa.JSON, nullable=False),
        sa.Column("until", UtcDateTime, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expired_at", UtcDateTime),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("taken_at", UtcDateTime, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.UniqueConstraint("taken_at", name="uq_snapshots_taken_at"),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
    op.drop_table("silences")
    op.drop_index("ix_outbox_status_next_attempt", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_alerts_status_rule", "alerts")
    op.drop_table("alerts")
