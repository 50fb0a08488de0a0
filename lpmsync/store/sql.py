"""Opening the store: engine, SQLite pragmas, migrations, and the repositories."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, ExceptionContext, create_engine, event, inspect, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from lpmsync.errors import ConfigError, StoreError
from lpmsync.redact import redact
from lpmsync.settings.runtime import POSTGRES_EXTRA, check_store_url
from lpmsync.store.locks import locks_for
from lpmsync.store.migrate_check import at_head

if TYPE_CHECKING:  # each repository is imported when first used (start-up of light commands)
    from lpmsync.store.alerts import AlertRepository
    from lpmsync.store.audit import AuditRepository
    from lpmsync.store.items import ItemRepository
    from lpmsync.store.outbox import OutboxRepository
    from lpmsync.store.runs import RunRepository
    from lpmsync.store.silences import SilenceRepository
    from lpmsync.store.snapshots import SnapshotRepository


class SqlStore:
    """The store, as one object holding one repository per concern. A repository (and its
    module) is made on first use: `status` reads no items, `report` no runs or alerts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.locks = locks_for(engine)  # job locks for replicas; SQLite: one service per file

    @cached_property
    def items(self) -> ItemRepository:
        from lpmsync.store.items import ItemRepository  # noqa: PLC0415 (start-up time)

        return ItemRepository(self.engine)

    @cached_property
    def runs(self) -> RunRepository:
        from lpmsync.store.runs import RunRepository  # noqa: PLC0415 (start-up time)

        return RunRepository(self.engine)

    @cached_property
    def alerts(self) -> AlertRepository:
        from lpmsync.store.alerts import AlertRepository  # noqa: PLC0415 (start-up time)

        return AlertRepository(self.engine)

    @cached_property
    def outbox(self) -> OutboxRepository:
        from lpmsync.store.outbox import OutboxRepository  # noqa: PLC0415 (start-up time)

        return OutboxRepository(self.engine)

    @cached_property
    def silences(self) -> SilenceRepository:
        from lpmsync.store.silences import SilenceRepository  # noqa: PLC0415 (start-up time)

        return SilenceRepository(self.engine)

    @cached_property
    def snapshots(self) -> SnapshotRepository:
        from lpmsync.store.snapshots import SnapshotRepository  # noqa: PLC0415 (start-up time)

        return SnapshotRepository(self.engine)

    @cached_property
    def audit(self) -> AuditRepository:
        from lpmsync.store.audit import AuditRepository  # noqa: PLC0415 (start-up time)

        return AuditRepository(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> list[str]:
        """Bring the schema to the newest migration; returns the revisions applied."""
        if at_head(self.engine):  # the usual case, answered without importing alembic
            return []
        from lpmsync.store.migrate import upgrade_to_head  # noqa: PLC0415 (alembic: start-up time)

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
    """Open (and by default migrate) the store at `url`; SQLite files get WAL mode.

    Every failure is a `StoreError` (or a `ConfigError` for a URL lpmsync cannot use) whose
    one line names the file or the URL (password hidden) and what to do."""
    url = normalise_url(url)
    try:
        engine = _create_engine(url)
        store = SqlStore(engine)
        if upgrade:
            store.upgrade()
        return store
    except StoreError as exc:
        raise StoreError(f"{exc}{_advice(url, str(exc))}") from None
    except SQLAlchemyError as exc:
        detail = _describe(exc)
        raise StoreError(f"cannot open the store: {detail}{_advice(url, detail)}") from None
    except OSError as exc:  # the data directory cannot be created
        raise StoreError(
            f"cannot create the store's folder for {shown_url(url)}: {exc.strerror or exc}; "
            "create it (writable by this user) or set store.data_dir to a writable folder"
        ) from None


def normalise_url(url: str) -> str:
    """A supported store URL with its driver (`postgresql://` means psycopg 3, the driver the
    `postgres` extra installs); raises `ConfigError` for any other scheme."""
    try:
        check_store_url(url)
    except ValueError as exc:
        raise ConfigError(str(exc), key="store.url") from None
    if url.split("://", 1)[0].lower() == "postgresql":
        url = "postgresql+psycopg" + url[len("postgresql") :]
    if url.startswith("postgresql+psycopg") and importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            f"{shown_url(url)} needs the PostgreSQL driver: {POSTGRES_EXTRA}", key="store.url"
        )
    return url


def shown_url(url: str) -> str:
    """The URL with its password (and any user-info secret) hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return redact(url)


def _advice(url: str, detail: str) -> str:
    if url.startswith("sqlite"):
        path = _sqlite_path(url) or url
        if "readonly" in detail or "unable to open" in detail:
            return f" ({path}: make the file and its folder writable by this user)"
        return f" ({path})"
    return f" ({shown_url(url)}: check that the server is up and the URL, user and database)"


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _sqlite_file_error(_sqlite_path(url)))
        return engine
    return create_engine(url, pool_pre_ping=True)


_FILE_PROBLEMS = ("readonly", "unable to open", "disk i/o", "disk is full")


def _sqlite_file_error(path: str) -> Callable[[ExceptionContext], None]:
    """A write to a read-only file, a vanished folder or a full disk, at any point of any
    command, becomes one `StoreError` line naming the file and what to do."""

    def translate(context: ExceptionContext) -> None:
        detail = str(context.original_exception).splitlines()[0]
        if any(problem in detail.lower() for problem in _FILE_PROBLEMS):
            raise StoreError(
                f"the store {path} cannot be written: {detail}; make the file and its folder "
                "writable by this user (or set store.data_dir to a writable folder)"
            )

    return translate


def _sqlite_path(url: str) -> str:
    """The file of a SQLite URL, also of a URI filename (`sqlite:///file:PATH?mode=ro&uri=true`)."""
    path = url.split("///", 1)[-1] if "///" in url else ""
    return path.removeprefix("file:").split("?", 1)[0] if path.startswith("file:") else path


def _ensure_sqlite_dir(url: str) -> None:
    path = _sqlite_path(url)
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
