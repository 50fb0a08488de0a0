"""What the service is doing: per-source freshness, readiness (`/readyz`) and `lpmsync status`.

A source is fresh while its last successful sync is younger than `STALE_INTERVALS` times the
longest gap of the sync schedule: one failed or skipped cycle is normal weather, three in a row
is an outage an operator should hear about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from lpmsync.readiness import Readiness
from lpmsync.redact import redactor
from lpmsync.services.cron_gaps import longest_gap
from lpmsync.store import SqlStore
from lpmsync.store.runs import ABANDONED, RunRecord

STALE_INTERVALS = 3
FAILURES_SHOWN = 10


def sync_interval(cron: str, timezone: str, start: datetime) -> timedelta:
    """The longest gap between two consecutive fires of `cron` in the week after `start`."""
    return longest_gap(cron, timezone, start)


def previous_fire_time(cron: str, timezone: str, now: datetime) -> datetime | None:
    """The newest time at or before `now` that `cron` fired (looking back up to 32 days)."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    for lookback in (timedelta(days=1), timedelta(days=8), timedelta(days=32)):
        latest: datetime | None = None
        fire: datetime | None = trigger.get_next_fire_time(None, now - lookback)
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if latest is not None:
            return latest
    return None


def missed_digest(
    store: SqlStore, cron: str, timezone: str, now: datetime, grace: timedelta
) -> datetime | None:
    """The digest slot that passed while the service was down, if it is still within `grace`
    and no digest was built since: the scheduler runs it at start instead of skipping it."""
    due = previous_fire_time(cron, timezone, now)
    if due is None or now - due > grace:
        return None
    done = store.runs.latest("digest", status="ok")
    return None if done is not None and done.started_at >= due else due


def stale_after(cron: str, timezone: str, start: datetime) -> timedelta:
    return STALE_INTERVALS * sync_interval(cron, timezone, start)


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_status: str | None  # the newest sync run's status: ok, failed, interrupted, running
    last_run_at: datetime | None
    last_success_at: datetime | None
    fresh: bool
    error: str | None = None  # the newest run's error, if it failed
    skipped_count: int = 0  # now, in the store (not the last run's delta)
    unmapped_count: int = 0

    def age(self, now: datetime) -> timedelta | None:
        return None if self.last_success_at is None else now - self.last_success_at

    def as_json(self, now: datetime) -> dict[str, Any]:
        age = self.age(now)
        return {
            "source": self.source,
            "fresh": self.fresh,
            "last_status": self.last_status,
            "last_run_at": _iso(self.last_run_at),
            "last_success_at": _iso(self.last_success_at),
            "age_seconds": None if age is None else round(age.total_seconds()),
            "error": self.error,
            "skipped_count": self.skipped_count,
            "unmapped_count": self.unmapped_count,
        }


def source_freshness(
    store: SqlStore, source: str, now: datetime, stale: timedelta
) -> SourceFreshness:
    latest = store.runs.latest("sync", source)
    success = store.runs.latest("sync", source, status="ok")
    unmapped, skipped = store.items.hygiene_counts().get(source, (0, 0))
    succeeded_at = _when(success)
    error = latest.error if latest is not None and latest.status == "failed" else None
    return SourceFreshness(
        source=source,
        last_status=latest.status if latest else None,
        last_run_at=_when(latest),
        last_success_at=succeeded_at,
        fresh=succeeded_at is not None and now - succeeded_at <= stale,
        error=redactor()(error) if error else None,
        skipped_count=skipped,
        unmapped_count=unmapped,
    )


def readiness(
    store: SqlStore,
    sources: Sequence[str],
    now: datetime,
    stale: timedelta,
    started_at: datetime,
) -> Readiness:
    """Ready when the store answers and every source synced successfully within `stale`
    (a source never synced yet gets `stale` from the service's start to do so)."""
    try:
        freshness = [source_freshness(store, source, now, stale) for source in sources]
    except Exception as exc:  # any driver error means the same to a probe: no store
        return Readiness(False, [f"store unreachable ({type(exc).__name__})"])
    reasons = [
        _stale_reason(item, now, stale)
        for item in freshness
        if not item.fresh and not (item.last_success_at is None and now - started_at <= stale)
    ]
    details = {
        "stale_after_seconds": round(stale.total_seconds()),
        "sources": [item.as_json(now) for item in freshness],
    }
    return Readiness(not reasons, reasons, details)


def _stale_reason(item: SourceFreshness, now: datetime, stale: timedelta) -> str:
    age = item.age(now)
    since = "never synced successfully" if age is None else f"last synced {human_duration(age)} ago"
    reason = f"source {item.source!r}: {since} (expected within {human_duration(stale)})"
    return f"{reason}; last error: {item.error}" if item.error else reason


@dataclass(frozen=True)
class FailedMessage:
    channel: str
    text: str
    error_code: str | None
    error: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    """Everything `lpmsync status` shows."""

    generated_at: datetime
    stale_after: timedelta
    runs: list[RunRecord]
    sources: list[SourceFreshness]
    outbox_depth: int
    slack_failures: list[FailedMessage]
    open_alerts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        now = self.generated_at
        return {
            "generated_at": _iso(now),
            "stale_after_seconds": round(self.stale_after.total_seconds()),
            "runs": [_run_json(run) for run in self.runs],
            "sources": [source.as_json(now) for source in self.sources],
            "outbox": {
                "depth": self.outbox_depth,
                "recent_failures": [_failure_json(failure) for failure in self.slack_failures],
            },
            "open_alerts": self.open_alerts,
        }


def collect_status(
    store: SqlStore, sources: Sequence[str], now: datetime, stale: timedelta
) -> StatusReport:
    redact = redactor()
    failures = [
        FailedMessage(
            channel=entry.message.channel,
            text=entry.message.text[:120],
            error_code=entry.error_code,
            error=redact(entry.last_error) if entry.last_error else None,
            finished_at=entry.finished_at,
        )
        for entry in store.outbox.recent_failures(FAILURES_SHOWN)
    ]
    return StatusReport(
        generated_at=now,
        stale_after=stale,
        runs=[_as_seen(store, run) for run in store.runs.latest_per_job()],
        sources=[source_freshness(store, source, now, stale) for source in sources],
        outbox_depth=store.outbox.depth(),
        slack_failures=failures,
        open_alerts=store.alerts.open_counts_by_rule(),
    )


def _as_seen(store: SqlStore, run: RunRecord) -> RunRecord:
    """A run still `running` whose job lock nobody holds was left by a dead process: shown as
    `abandoned` now (the next run of that job records it so)."""
    if run.status != "running":
        return run
    with store.locks.job(run.job) as free:
        if not free:
            return run
    return replace(run, status="abandoned", error=run.error or ABANDONED)


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "job": run.job,
        "source": run.source,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": redactor()(run.error) if run.error else None,
        "stats": dict(run.stats),
    }


def _failure_json(failure: FailedMessage) -> dict[str, Any]:
    return {
        "channel": failure.channel,
        "text": failure.text,
        "error_code": failure.error_code,
        "error": failure.error,
        "finished_at": _iso(failure.finished_at),
    }


def _when(run: RunRecord | None) -> datetime | None:
    return None if run is None else run.finished_at or run.started_at


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def human_duration(delta: timedelta) -> str:
    """`45s`, `15m`, `2h 5m`, `3d 4h`: short, as an operator reads it."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{secs}s"
