"""A PostgreSQL password with `@`, `:` or `/` reaches the server intact, the two ways
docs/deploy.md gives: libpq's PGPASSWORD beside a URL without one (what docker-compose.yml does),
or percent-encoded in `store.url`. (The test server trusts loopback, so the password the driver
holds is what is checked: the one it would send.)"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.engine import make_url

from lpmsync.settings import load_settings
from lpmsync.store import SqlStore, open_store

EXAMPLE = Path(__file__).parents[2] / "config" / "lpmsync.example.yaml"
PASSWORD = "p@ss:w/rd?#%$ x"


def driver_password(store: SqlStore) -> str | None:
    with store.engine.connect() as connection:
        password: str | None = connection.connection.driver_connection.info.password  # type: ignore[union-attr]
        return password


@pytest.mark.postgres
def test_pgpassword_beside_a_url_without_one(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_url(pg_url).password is None
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    store = open_store(pg_url)
    try:
        assert driver_password(store) == PASSWORD
        assert "alembic_version" in store.tables()  # migrated through such connections
    finally:
        store.close()


@pytest.mark.postgres
def test_a_percent_encoded_password_in_the_store_url(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = make_url(pg_url)
    encoded = pg_url.replace(f"{url.username}@", f"{url.username}:{quote(PASSWORD, safe='')}@", 1)
    settings = load_settings(EXAMPLE, {"LPMSYNC_STORE__URL": encoded}, check_secrets=False)
    store = open_store(settings.store.effective_url)
    try:
        assert driver_password(store) == PASSWORD
    finally:
        store.close()
