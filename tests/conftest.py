"""Fixtures every test suite shares: stores on SQLite and PostgreSQL, a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lpmsync.store import SqlStore, open_store

# Rich sizes its consoles from COLUMNS when they are created (at import); a fixed width keeps
# CLI output, and the tests that read it, the same in every shell and in CI.
os.environ["COLUMNS"] = "160"

PG_URL_ENV = "LPMSYNC_TEST_DATABASE_URL"
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday morning


def postgres_url() -> str | None:
    """The PostgreSQL test URL. Under CI=true it must be set and reachable: those tests never
    silently skip in CI."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{PG_URL_ENV} is not set under CI=true; PostgreSQL tests must run in CI")
    return None


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lpmsync.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema per test, dropped afterwards (parallel workers never collide)."""
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured ({PG_URL_ENV} unset)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable under CI=true: {exc.orig}")
        pytest.skip(f"PostgreSQL unreachable: {exc.orig}")
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrises a test over both backends: the store contract holds on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lpmsync.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()
