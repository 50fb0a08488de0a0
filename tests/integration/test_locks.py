"""Store locks: PostgreSQL advisory locks per job, SQLite lock files; held locks are refused or
skipped, and a killed holder never leaves one behind."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from lpmsync.store import open_store
from lpmsync.store.locks import AdvisoryLocks, FileLocks, LockHeldError, advisory_key, locks_for


def test_sqlite_refuses_a_second_service_on_the_same_file(sqlite_url: str) -> None:
    first, second = open_store(sqlite_url), open_store(sqlite_url)
    try:
        held = first.locks.acquire_instance()
        with pytest.raises(LockHeldError, match="another lpmsync service is already running"):
            second.locks.acquire_instance()
        held.release()
        second.locks.acquire_instance().release()  # free again once released
    finally:
        first.close()
        second.close()


def test_sqlite_job_locks_are_per_job(tmp_path: Path) -> None:
    database = tmp_path / "lpmsync.db"
    mine, theirs = FileLocks(database), FileLocks(database)
    with mine.job("cycle") as acquired:
        assert acquired
        with theirs.job("cycle") as also:
            assert not also
        with theirs.job("digest") as other_job:
            assert other_job
    with theirs.job("cycle") as after:
        assert after
    assert mine.lock_path("cycle") == tmp_path / "lpmsync.db.cycle.lock"


def test_an_in_memory_database_needs_no_lock() -> None:
    store = open_store("sqlite://")
    try:
        assert isinstance(store.locks, FileLocks) and store.locks.lock_path() is None
        store.locks.acquire_instance().release()
        with store.locks.job("cycle") as acquired:
            assert acquired
    finally:
        store.close()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from lpmsync.store.locks import FileLocks
lock = FileLocks(Path(sys.argv[1])).acquire_instance()
print("held", flush=True)
sys.stdin.readline()
"""


def test_a_killed_service_leaves_no_stale_lock(tmp_path: Path) -> None:
    database = tmp_path / "lpmsync.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError):
            FileLocks(database).acquire_instance()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    FileLocks(database).acquire_instance().release()  # kill -9 released it


def test_advisory_keys_are_stable_and_scoped() -> None:
    assert advisory_key("public", "cycle") == advisory_key("public", "cycle")
    assert advisory_key("public", "cycle") != advisory_key("public", "digest")
    assert advisory_key("public", "cycle") != advisory_key("tenant_b", "cycle")
    assert -(2**63) <= advisory_key("public", "cycle") < 2**63


@pytest.mark.postgres
def test_postgres_job_locks_skip_when_held_by_another_session(pg_url: str) -> None:
    mine, theirs = open_store(pg_url), open_store(pg_url)
    try:
        assert isinstance(mine.locks, AdvisoryLocks)
        mine.locks.acquire_instance().release()  # replicas may share PostgreSQL
        theirs.locks.acquire_instance().release()
        with mine.locks.job("cycle") as acquired:
            assert acquired and _held(pg_url, "cycle") == 1
            with theirs.locks.job("cycle") as also:
                assert not also
            with theirs.locks.job("digest") as other_job:
                assert other_job
        with theirs.locks.job("cycle") as after:
            assert after
        assert _held(pg_url, "cycle") == _held(pg_url, "digest") == 0  # none left on the pool
    finally:
        mine.close()
        theirs.close()


@pytest.mark.postgres
def test_postgres_locks_die_with_their_session(pg_url: str) -> None:
    store = open_store(pg_url)
    engine = sa.create_engine(pg_url)
    try:
        key = advisory_key(_schema(engine), "cycle")
        conn = engine.connect()
        assert conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
        with store.locks.job("cycle") as acquired:
            assert not acquired
        conn.invalidate()  # the holder's session ends without unlocking (a crashed replica)
        conn.close()
        with store.locks.job("cycle") as acquired:
            assert acquired
    finally:
        engine.dispose()
        store.close()


def test_locks_for_picks_the_backend(sqlite_url: str) -> None:
    assert isinstance(locks_for(sa.create_engine(sqlite_url)), FileLocks)
    assert isinstance(locks_for(sa.create_engine("postgresql+psycopg://x@h/db")), AdvisoryLocks)


def _schema(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())


def _held(url: str, job: str) -> int:
    """Sessions holding this schema's lock for `job` (a bigint key shows as two oids)."""
    engine = sa.create_engine(url)
    try:
        key = advisory_key(_schema(engine), job) & 0xFFFFFFFFFFFFFFFF
        query = sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
        )
        with engine.connect() as conn:
            return int(
                conn.execute(query, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalar_one()
            )
    finally:
        engine.dispose()


def test_services_starting_together_migrate_one_at_a_time(store_url: str) -> None:
    stores = [open_store(store_url, upgrade=False) for _ in range(3)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            applied = list(pool.map(lambda store: store.upgrade(), stores))
        assert sorted(map(len, applied))[:2] == [0, 0]  # one migrated, the others found it done
        assert max(applied, key=len) and "runs" in stores[0].tables()
    finally:
        for store in stores:
            store.close()
