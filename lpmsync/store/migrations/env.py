"""Alembic environment: always given a live connection by `lpmsync.store.migrate`."""

from __future__ import annotations

from alembic import context

from lpmsync.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `lpmsync db upgrade`, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
