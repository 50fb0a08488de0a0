"""Items, state history, sync cursors and runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("created", UtcDateTime, nullable=False),
        sa.Column("updated", UtcDateTime, nullable=False),
        sa.Column("entered_state_at", UtcDateTime),
        sa.Column("parent_source", sa.String(100)),
        sa.Column("parent_key", sa.String(255)),
        sa.Column("theme_values", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("area_path", sa.Text),
        sa.Column("value_stream", sa.String(255)),
        sa.Column("owner", sa.String(255)),
        sa.Column("estimate", sa.Float),
        sa.Column("wsjf", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("synced_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_items_state", "items", ["state"])
    op.create_table(
        "state_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("from_status", sa.String(255)),
        sa.Column("to_status", sa.String(255), nullable=False),
        sa.UniqueConstraint("source", "key", "at", "to_status", name="uq_state_changes_transition"),
    )
    op.create_table(
        "cursors",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("cursor", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(50), nullable=False),
        sa.Column("source", sa.String(100)),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stats", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_runs_job_source_started", "runs", ["job", "source", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_job_source_started", "runs")
    op.drop_table("runs")
    op.drop_table("cursors")
    op.drop_table("state_changes")
    op.drop_index("ix_items_state", "items")
    op.drop_table("items")
