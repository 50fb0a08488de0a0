"""Runs: what each sync, check, send and digest did, for `lpmsync status` and `/readyz`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from lpmsync.domain.findings import JsonValue
from lpmsync.domain.text import clean_text
from lpmsync.redact import redact
from lpmsync.store.schema import runs

ERROR_LIMIT = 2000  # characters of a run's error kept; the log has the rest
ABANDONED = "the process running it ended without finishing (killed?)"


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    job: str
    source: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    stats: Mapping[str, JsonValue] = field(default_factory=dict)
    error: str | None = None


def _record(row: Any) -> RunRecord:
    return RunRecord(
        row.id,
        row.job,
        row.source,
        row.started_at,
        row.finished_at,
        row.status,
        dict(row.stats),
        row.error,
    )


class RunRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(self, job: str, source: str | None, started_at: datetime) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                insert(runs).values(
                    job=job, source=source, started_at=started_at, status="running", stats={}
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish(
        self,
        run_id: int,
        finished_at: datetime,
        status: str,
        stats: Mapping[str, JsonValue],
        error: str | None = None,
    ) -> None:
        # The error may quote a tracker's answer: no secret and no NUL (PostgreSQL) is stored.
        stored = clean_text(redact(error), ERROR_LIMIT) if error is not None else None
        with self._engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=finished_at, status=status, stats=dict(stats), error=stored)
            )

    def abandon(self, job: str, now: datetime, *, source: str | None = None) -> int:
        """Mark `job`'s runs (of `source`, when given) still `running` as `abandoned`: call it
        holding the lock that covers them, when no live process can be running them (they were
        left by one that died)."""
        query = update(runs).where(runs.c.job == job, runs.c.status == "running")
        if source is not None:
            query = query.where(runs.c.source == source)
        with self._engine.begin() as conn:
            result = conn.execute(
                query.values(status="abandoned", finished_at=now, error=ABANDONED)
            )
            return int(result.rowcount or 0)

    def recent(self, limit: int = 20, job: str | None = None) -> list[RunRecord]:
        query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        if job is not None:
            query = query.where(runs.c.job == job)
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def latest(
        self, job: str, source: str | None = None, status: str | None = None
    ) -> RunRecord | None:
        """The newest run of `job` (for one source, with one status, when given)."""
        query = select(runs).where(runs.c.job == job)
        if source is not None:
            query = query.where(runs.c.source == source)
        if status is not None:
            query = query.where(runs.c.status == status)
        query = query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _record(row) if row is not None else None

    def latest_per_job(self) -> list[RunRecord]:
        """The newest run of every (job, source) pair."""
        newest = (
            select(func.max(runs.c.id).label("id")).group_by(runs.c.job, runs.c.source).subquery()
        )
        query = (
            select(runs).join(newest, runs.c.id == newest.c.id).order_by(runs.c.job, runs.c.source)
        )
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]
