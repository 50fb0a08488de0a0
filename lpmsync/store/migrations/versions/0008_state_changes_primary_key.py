"""State changes keyed by the transition itself: (source, key, at, to_status) becomes the primary
key, replacing the surrogate `id` (read by nothing) and the unique constraint that duplicated
it. On SQLite the table is rebuilt `WITHOUT ROWID`, so each row lives in that one index instead
of a rowid table plus a unique index: less work per inserted change, the history reads in key
order. On PostgreSQL the same primary key replaces `id`, its sequence and the unique index.

Revision ID: 0008
Revises: 0007
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from lpmsync.store.schema import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TRANSITION = ["source", "key", "at", "to_status"]
_COLUMNS = '"source", "key", "at", "from_status", "to_status"'


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("from_status", sa.String(255)),
        sa.Column("to_status", sa.String(255), nullable=False),
    ]


def _rebuild(*extra: Any, **options: Any) -> None:
    """SQLite: the table again with `extra` columns and constraints, its rows copied over."""
    op.create_table("state_changes_new", *extra, *_columns(), **options)
    op.execute(
        f"INSERT INTO state_changes_new ({_COLUMNS}) SELECT {_COLUMNS} FROM state_changes"  # noqa: S608
    )
    op.drop_table("state_changes")
    op.rename_table("state_changes_new", "state_changes")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(
            sa.PrimaryKeyConstraint(*_TRANSITION, name="pk_state_changes"),
            sqlite_with_rowid=False,
        )
        return
    op.drop_constraint("uq_state_changes_transition", "state_changes", type_="unique")
    op.drop_column("state_changes", "id")  # its primary key and sequence go with it
    op.create_primary_key("pk_state_changes", "state_changes", _TRANSITION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.UniqueConstraint(*_TRANSITION, name="uq_state_changes_transition"),
        )
        return
    op.drop_constraint("pk_state_changes", "state_changes", type_="primary")
    op.add_column("state_changes", sa.Column("id", sa.Integer, sa.Identity(), primary_key=True))
    op.create_unique_constraint("uq_state_changes_transition", "state_changes", _TRANSITION)
