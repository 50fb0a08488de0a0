"""Tracker items skipped as malformed, kept until they sync cleanly or leave the scope, so the
skipped count is the store's current truth rather than the last run's delta.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skipped_items",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("seen_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("skipped_items")
