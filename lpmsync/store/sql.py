"""Opening the store: engine, SQLite pragmas, migrations, and the repositories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError

from lpmsync.errors import StoreError
from lpmsync.store.alerts import AlertRepository
from lpmsync.store.audit import AuditRepository
from lpmsync.store.items import ItemRepository
from lpmsync.store.locks import locks_for
from lpmsync.store.migrate import upgrade_to_head
from lpmsync.store.outbox import OutboxRepository
from lpmsync.store.runs import RunRepository
from lpmsync.store.silences import SilenceRepository
from lpmsync.store.snapshots import SnapshotRepository


class SqlStore:
    """The store, as one object holding one repository per concern."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.items = ItemRepository(engine)
        self.runs = RunRepository(engine)
        self.locks = locks_for(engine)  # job locks for replicas; SQLite: one service per file
        self.alerts = AlertRepository(engine)
        self.outbox = OutboxRepository(engine)
        self.silences = SilenceRepository(engine)
        self.snapshots = SnapshotRepository(engine)
        self.audit = AuditRepository(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> list[str]:
        """Bring the schema to the newest migration; returns the revisions applied."""
        try:
            with self.locks.migration():  # replicas starting together migrate one at a time
                return upgrade_to_head(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate the store: {_describe(exc)}") from None

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, upgrade: bool = True) -> SqlStore:
    """Open (and by default migrate) the store at `url`; SQLite files get WAL mode."""
    try:
        engine = _create_engine(url)
        store = SqlStore(engine)
        if upgrade:
            store.upgrade()
        return store
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store: {_describe(exc)}") from None


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _describe(exc: SQLAlchemyError) -> str:
    """The driver's message without the SQL or parameters (they could hold tracker text)."""
    original = getattr(exc, "orig", None)
    return str(original or exc).splitlines()[0]
