"""Items: the tracker's target (due) date, for flow forecasts and `forecast-risk`.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("target_date", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("target_date")
