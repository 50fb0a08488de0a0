"""Idempotent delivery: when each outbox row's attempts started, and alerts whose announcement
went out after they had resolved (a correction is due).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("first_attempt_at", UtcDateTime))
        batch.add_column(sa.Column("attempt_started_at", UtcDateTime))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("correction_due", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("correction_due")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempt_started_at")
        batch.drop_column("first_attempt_at")
