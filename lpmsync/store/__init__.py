"""The store: SQLAlchemy 2 Core over SQLite (default) or PostgreSQL, migrated by Alembic."""

from lpmsync.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
