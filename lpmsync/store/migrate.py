"""Alembic, driven from code: the store upgrades itself on start, and `lpmsync db upgrade`."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Alembic narrates every connection at INFO ("Context impl SQLiteImpl."); the store logs what
# it applied instead.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
log = logging.getLogger("lpmsync.store")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_to_head(engine: Engine) -> list[str]:
    """Apply pending migrations in one transaction; returns the revisions applied, oldest first."""
    before = current_revision(engine)
    if before == head_revision():
        return []
    script = ScriptDirectory.from_config(alembic_config())
    pending = [rev.revision for rev in script.iterate_revisions(head_revision(), before)]
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    applied = list(reversed(pending))
    log.info("store migrated: applied %s", ", ".join(applied))
    return applied
