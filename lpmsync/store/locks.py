"""Locks that keep replicas and concurrent processes from doing the same job twice.

PostgreSQL: a session-level advisory lock per job (`pg_try_advisory_lock`), held on a dedicated
connection for the job's duration; a replica that finds it held skips the job. The key includes
the current schema, so two deployments sharing one database (or parallel tests) never collide.

SQLite: an exclusive `flock` on a file next to the database. `lpmsync run` takes the instance
lock (`<db>.lock`) for its whole life, so a second service on the same file is refused; each job
also takes `<db>.<job>.lock`, which keeps a one-off command from overlapping a running job.
A job lock can be waited for (`wait` seconds, polled): a one-off command waits a bounded time
for the same job elsewhere to finish, then gives up with a clear message.
A lock held by a process dies with it (the kernel and the database release it), so a kill -9
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from lpmsync.errors import StoreError

log = logging.getLogger("lpmsync.locks")

MIGRATE = "migrate"
POLL_SECONDS = 0.25  # how often a waiting job retries its lock


class LockHeldError(StoreError):
    """Another process holds the lock; the message says which file or job, and what to do."""


class InstanceLock(Protocol):
    def release(self) -> None: ...


class Locks(Protocol):
    """What `store.locks` offers, whatever the backend."""

    def acquire_instance(self) -> InstanceLock:
        """Claim the store for one long-running service, or raise `LockHeldError`."""
        ...

    def job(self, name: str, wait: float = 0.0) -> AbstractContextManager[bool]:
        """`with locks.job("cycle") as acquired:` — False means another process runs it
        (still, after waiting up to `wait` seconds for it to finish)."""
        ...

    def migration(self) -> AbstractContextManager[None]:
        """Wait for, then hold, the lock that lets one process at a time migrate the schema."""
        ...


def locks_for(engine: Engine) -> AdvisoryLocks | FileLocks:
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine)
    return FileLocks(sqlite_path(engine))


def sqlite_path(engine: Engine) -> Path | None:
    """The database file, or None for an in-memory database (nothing to share, nothing to lock)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).resolve()


def advisory_key(namespace: str, name: str) -> int:
    """A stable signed 64-bit key (PostgreSQL's bigint) for `name` within `namespace`."""
    digest = hashlib.blake2b(f"lpmsync/{namespace}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _NoInstanceLock:
    def release(self) -> None:
        """Nothing to release: PostgreSQL replicas share the store on purpose."""


class AdvisoryLocks:
    """PostgreSQL advisory locks; replicas run side by side and take turns per job."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def acquire_instance(self) -> InstanceLock:
        return _NoInstanceLock()

    @contextmanager
    def job(self, name: str, wait: float = 0.0) -> Iterator[bool]:
        conn = self._connect(name)
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            key = advisory_key(str(schema), name)
            acquired = _poll(wait, lambda: _try_advisory(conn, key))
        except SQLAlchemyError as exc:
            conn.invalidate()
            conn.close()
            raise StoreError(f"cannot take the {name!r} job lock: {_first_line(exc)}") from None
        try:
            yield acquired
        finally:
            if acquired:
                _unlock(conn, key, name)
            conn.close()

    @contextmanager
    def migration(self) -> Iterator[None]:
        """Blocks until no other process is migrating: replicas that start together against a
        fresh database would otherwise create the same tables at once."""
        conn = self._connect(MIGRATE)
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            key = advisory_key(str(schema), MIGRATE)
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            conn.commit()
        except SQLAlchemyError as exc:
            conn.invalidate()
            conn.close()
            raise StoreError(f"cannot take the migration lock: {_first_line(exc)}") from None
        try:
            yield
        finally:
            _unlock(conn, key, MIGRATE)
            conn.close()

    def _connect(self, name: str) -> Connection:
        try:
            return self._engine.connect()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot take the {name!r} lock: {_first_line(exc)}") from None


def _try_advisory(conn: Connection, key: int) -> bool:
    acquired = bool(
        conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
    )
    conn.commit()  # end the implicit transaction; the session lock outlives it
    return acquired


def _poll(wait: float, attempt: Callable[[], bool]) -> bool:
    """Try `attempt` until it succeeds or `wait` seconds have passed (at least once)."""
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        if attempt():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(POLL_SECONDS, remaining))


def _unlock(conn: Connection, key: int, name: str) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        conn.commit()
    except SQLAlchemyError as exc:
        # A broken connection's session is gone, and its locks with it; never pool it again.
        log.warning("releasing the %s job lock failed: %s", name, _first_line(exc))
        conn.invalidate()


class _FileLock:
    def __init__(self, handle: IO[str]) -> None:
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class FileLocks:
    """Exclusive lock files next to a SQLite database."""

    def __init__(self, database: Path | None) -> None:
        self._database = database

    def lock_path(self, name: str | None = None) -> Path | None:
        if self._database is None:
            return None
        suffix = ".lock" if name is None else f".{name}.lock"
        return self._database.with_name(self._database.name + suffix)

    def acquire_instance(self) -> InstanceLock:
        path = self.lock_path()
        if path is None:
            return _NoInstanceLock()
        handle = _try_flock(path)
        if handle is None:
            raise LockHeldError(
                f"another lpmsync service is already running on {self._database} "
                f"(it holds {path}); SQLite supports one service per database file: stop the "
                "other one, or use PostgreSQL (store.url) to run replicas"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return _FileLock(handle)

    @contextmanager
    def job(self, name: str, wait: float = 0.0) -> Iterator[bool]:
        path = self.lock_path(name)
        handles: list[IO[str]] = []
        if path is not None:
            _poll(wait, lambda: _append_if_locked(handles, _try_flock(path)))
        handle = handles[0] if handles else None
        acquired = path is None or handle is not None
        try:
            yield acquired
        finally:
            if handle is not None:
                _FileLock(handle).release()

    @contextmanager
    def migration(self) -> Iterator[None]:
        path = self.lock_path(MIGRATE)
        if path is None:
            yield
            return
        handle = _open(path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # blocking: the other process is migrating
            yield
        finally:
            _FileLock(handle).release()


def _append_if_locked(handles: list[IO[str]], handle: IO[str] | None) -> bool:
    if handle is not None:
        handles.append(handle)
    return handle is not None


def _open(path: Path) -> IO[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot open lock file {path}: {exc.strerror}") from None


def _try_flock(path: Path) -> IO[str] | None:
    """The open, exclusively locked file, or None when another process holds it."""
    handle = _open(path)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    except OSError as exc:
        handle.close()
        raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
    return handle


def _first_line(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    return str(original or exc).splitlines()[0]
