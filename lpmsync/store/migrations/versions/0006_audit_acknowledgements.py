"""Acknowledgements on alerts, snoozes scoped to alerts with their author, the audit trail.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(255)))
        batch.add_column(sa.Column("acknowledged_at", UtcDateTime))
        batch.add_column(sa.Column("acknowledged_signature", sa.String(1000)))
    with op.batch_alter_table("silences") as batch:
        batch.add_column(sa.Column("fingerprints", sa.JSON))
        batch.add_column(sa.Column("author", sa.String(255)))
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("fingerprints", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(255)),
        sa.Column("message_ts", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_at", "audit")
    op.drop_table("audit")
    with op.batch_alter_table("silences") as batch:
        batch.drop_column("author")
        batch.drop_column("fingerprints")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("acknowledged_signature")
        batch.drop_column("acknowledged_at")
        batch.drop_column("acknowledged_by")
