"""Migration 0008: state changes keyed by (source, key, at, to_status) instead of a surrogate id.
A store at 0007 keeps every transition through the upgrade (and back through the downgrade), a
transition stored again is still ignored, and on SQLite the table has no rowid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from lpmsync.domain.model import StateChange
from lpmsync.domain.sync import SyncPage
from lpmsync.store import open_store
from lpmsync.store.migrate import alembic_config, current_revision, upgrade_to_head
from lpmsync.store.schema import UtcDateTime

AT = datetime(2026, 11, 16, 9, 0, 0, 123456, tzinfo=UTC)
CHANGES = [
    StateChange("jira", "PORT-1", AT, None, "To Do"),
    StateChange("jira", "PORT-1", AT + timedelta(hours=1), "To Do", "In Progress"),
    StateChange("jira", "PORT-1", AT + timedelta(hours=1), "To Do", "Blocked"),  # same instant
    StateChange("ado", "7", AT, "New", "Active"),
]

# state_changes as migration 0001 created it
_OLD = sa.Table(
    "state_changes",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(100)),
    sa.Column("key", sa.String(255)),
    sa.Column("at", UtcDateTime),
    sa.Column("from_status", sa.String(255)),
    sa.Column("to_status", sa.String(255)),
)


def _migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def _rows(engine: sa.Engine) -> list[tuple[object, ...]]:
    columns = [_OLD.c.source, _OLD.c.key, _OLD.c.at, _OLD.c.from_status, _OLD.c.to_status]
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(*columns)).all(), key=repr)


def _expected() -> list[tuple[object, ...]]:
    return sorted(((c.source, c.key, c.at, c.from_status, c.to_status) for c in CHANGES), key=repr)


def test_transitions_survive_the_upgrade_and_the_downgrade(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        _migrate(engine, "0007")
        with engine.begin() as conn:
            conn.execute(_OLD.insert(), [vars_of(change) for change in CHANGES])
        assert upgrade_to_head(engine)[0] == "0008"
        assert _rows(engine) == _expected()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("state_changes")}
        assert "id" not in columns
        key = sa.inspect(engine).get_pk_constraint("state_changes")["constrained_columns"]
        assert key == ["source", "key", "at", "to_status"]
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="rowid"):
                conn.exec_driver_sql("SELECT rowid FROM state_changes")
        _migrate(engine, "0007", down=True)
        assert current_revision(engine) == "0007"
        assert _rows(engine) == _expected()
        with engine.connect() as conn:
            ids = conn.execute(sa.select(_OLD.c.id)).scalars().all()
        assert len(set(ids)) == len(CHANGES)
    finally:
        engine.dispose()


def test_a_transition_stored_again_is_ignored(store_url: str, now: datetime) -> None:
    store = open_store(store_url)
    try:
        page = SyncPage(history=tuple(CHANGES))
        store.items.apply_page("jira", page, now)
        store.items.apply_page("jira", page, now)
        assert sorted(store.items.history(), key=repr) == sorted(CHANGES, key=repr)
    finally:
        store.close()


def vars_of(change: StateChange) -> dict[str, object]:
    return {
        "source": change.source,
        "key": change.key,
        "at": change.at,
        "from_status": change.from_status,
        "to_status": change.to_status,
    }
