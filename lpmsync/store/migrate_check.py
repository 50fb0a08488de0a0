"""Is the schema already at the newest migration? Answered without importing alembic, whose
import (and reading of every migration script) would otherwise be most of a light command's
start-up. Anything unusual (no table, several heads, an unknown revision) answers "no", and the
caller then lets alembic decide."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


@cache
def script_heads() -> frozenset[str]:
    """The revisions no other migration script names as its down_revision."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return frozenset()  # a script this reader does not understand: let alembic decide
        revisions.add(revision.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    heads = script_heads()
    if len(heads) != 1:
        return False
    try:
        with engine.connect() as conn:
            stored = [
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            ]
    except SQLAlchemyError:
        return False  # no alembic_version table yet: a new store
    return stored == list(heads)
