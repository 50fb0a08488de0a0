"""Whether the weekly digest may go out now: it waits for fresh data, up to a deadline.

A source is stale when its last successful sync is older than `notify.slack.digest.
max_source_age` (default: twice the interval of `schedule.sync`). While a source is stale the
digest waits: the attempt is recorded as a `digest` run with status `waiting` (and when the wait
began), and `lpmsync run` tries again after each cycle. Once `stale_deadline` has passed since
the first waiting attempt, the digest goes out anyway, with a banner naming the stale sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from lpmsync.domain.digest import StaleSource
from lpmsync.settings import Settings
from lpmsync.store import SqlStore
from lpmsync.store.runs import RunRecord

DIGEST_JOB = "digest"
WAITING = "waiting"
_LOOKBACK = timedelta(days=8)  # far enough back to see two fire times of any weekly cron


@dataclass(frozen=True, slots=True)
class Freshness:
    """The decision: `wait` until `deadline`, or send (with `stale` sources named, if any)."""

    stale: tuple[StaleSource, ...]
    waiting_since: datetime
    deadline: datetime
    now: datetime

    @property
    def wait(self) -> bool:
        return bool(self.stale) and self.now < self.deadline

    def stats(self, week: str) -> dict[str, object]:
        return {
            "week": week,
            "stale": [source.name for source in self.stale],
            "waiting_since": self.waiting_since.isoformat(),
            "deadline": self.deadline.isoformat(),
        }

    def line(self, week: str) -> str:
        """What a person reads when the digest waits."""
        names = ", ".join(_described(source, self.now) for source in self.stale)
        return (
            f"digest {week} waits for fresh data from {names}; it is tried again after each "
            f"sync cycle and sent anyway, with a warning, after {self.deadline:%Y-%m-%d %H:%M} "
            "UTC (lpmsync digest --force sends it now)"
        )


def recent_sync_interval(cron: str, timezone: str, now: datetime) -> timedelta:
    """The gap between the last two times `cron` fired before `now`: the interval that matters
    now (a cron of working hours has short gaps by day and a long one over the weekend; `status`
    judges staleness by the longest gap, which would let a source failing since Friday pass)."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    fire_times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, now - _LOOKBACK)
    while fire is not None and fire <= now:
        fire_times = [*fire_times[-1:], fire]
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if len(fire_times) < 2:
        return _LOOKBACK
    return fire_times[1] - fire_times[0]


def max_source_age(settings: Settings, now: datetime) -> timedelta:
    slack = settings.notify.slack
    configured = slack.digest.max_source_age if slack else None
    if configured is not None:
        return configured
    return 2 * recent_sync_interval(settings.schedule.sync, settings.portfolio.timezone, now)


def stale_sources(store: SqlStore, settings: Settings, now: datetime) -> tuple[StaleSource, ...]:
    """Sources whose last successful sync is older than the digest accepts (or never was)."""
    oldest = now - max_source_age(settings, now)
    stale = []
    for source in settings.sources:
        last = store.runs.latest("sync", source.name, status="ok")
        success = (last.finished_at or last.started_at) if last is not None else None
        if success is None or success < oldest:
            stale.append(StaleSource(source.name, success))
    return tuple(stale)


def freshness(store: SqlStore, settings: Settings, now: datetime, week: str) -> Freshness:
    """Stale sources now, and the deadline counted from this week's first waiting attempt."""
    slack = settings.notify.slack
    deadline_after = slack.digest.stale_deadline if slack else timedelta(0)
    waiting_since = _waiting_since(store, week) or now
    stale = stale_sources(store, settings, now)
    return Freshness(stale, waiting_since, waiting_since + deadline_after, now)


def _last_attempt(store: SqlStore) -> RunRecord | None:
    """The newest finished digest attempt (the one under way is still `running`)."""
    runs = store.runs.recent(limit=5, job=DIGEST_JOB)
    return next((run for run in runs if run.status != "running"), None)


def _waiting_since(store: SqlStore, week: str) -> datetime | None:
    last = _last_attempt(store)
    if last is None or last.status != WAITING or last.stats.get("week") != week:
        return None
    since = last.stats.get("waiting_since")
    return datetime.fromisoformat(since) if isinstance(since, str) else None


def digest_waiting(store: SqlStore) -> bool:
    """True when the newest digest attempt is waiting for fresh data (retry it)."""
    last = _last_attempt(store)
    return last is not None and last.status == WAITING


def _described(source: StaleSource, now: datetime) -> str:
    if source.last_success is None:
        return f"{source.name} (never synced successfully)"
    hours = (now - source.last_success).total_seconds() / 3600
    return f"{source.name} (last success {hours:.1f} h ago)"
