"""The scheduled jobs: the cycle (sync → check → send) and the weekly digest.

Each job takes its lock first (`store.locks.job`): with PostgreSQL, a replica that finds the lock
held skips the run, so a job runs once however many replicas there are. The cycle's sync comes
before its lock: each source has its own lock, so replicas share the sources (each source synced
by one replica at a time) and only check and send run once. The check and send steps also take
their kind's lock (`check`, `send`, `digest`: the ones the one-off CLI commands take, see
`jobs_locks`), waiting a bounded time for a command doing the same. Each step records
itself in `store.runs` (sync once per source), reports to the metrics, and logs one summary
line. A stop request (SIGTERM) is honoured between pages and between steps: the page being
written is committed, nothing after it starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lpmsync.connectors.base import Connector
from lpmsync.domain.findings import JsonValue
from lpmsync.errors import LpmsyncError
from lpmsync.observability import Metrics
from lpmsync.services.clock import Clock, utc_now
from lpmsync.services.digest_freshness import digest_waiting
from lpmsync.services.jobs_locks import JobBusyError, job_lock
from lpmsync.services.sync import SourceSummary, sync_sources
from lpmsync.store import SqlStore

log = logging.getLogger("lpmsync.jobs")

CYCLE = "cycle"
DIGEST = "digest"
STEP_WAIT_SECONDS = 30.0  # a step waits this long for a one-off command doing the same


@dataclass(frozen=True)
class StepOutcome:
    """What a step after sync (check, send, digest) did: the stats to record with its run."""

    stats: Mapping[str, JsonValue]
    status: str = "ok"  # ok | partial | failed | waiting (a digest waits for fresh data)


@dataclass(frozen=True)
class Step:
    """A named step; `records_itself` when its use case writes its own run (send does)."""

    name: str
    run: Callable[[], StepOutcome]
    records_itself: bool = False


@dataclass(frozen=True)
class JobResult:
    job: str
    status: str  # ok | failed | interrupted | skipped (lock held elsewhere) | done (already)
    failed_steps: tuple[str, ...] = ()


@dataclass
class JobContext:
    """What the jobs run against; the entry point builds it from the settings."""

    store: SqlStore
    connectors: Sequence[Connector]
    metrics: Metrics
    check: Step
    send: Step
    digest: Step
    clock: Clock = utc_now
    stop: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        return self.stop.is_set()


def run_cycle(ctx: JobContext, *, full: bool = False) -> JobResult:
    """Sync every source, then check, then send; each step runs even if a source failed,
    because the other sources' data is current and the outbox may hold older messages."""
    if ctx.should_stop():  # queued behind a job that was running when the stop came
        return JobResult(CYCLE, "interrupted")
    # Sync before the cycle lock: each source has its own lock, so replicas share the sources.
    synced = _sync(ctx, full=full)
    with ctx.store.locks.job(CYCLE) as acquired:
        if not acquired:
            return _skipped(ctx, CYCLE)
        failed: list[str] = [] if synced else ["sync"]
        for step in (ctx.check, ctx.send):
            if ctx.should_stop():
                return _finish(ctx, CYCLE, "interrupted", failed)
            if not run_step(ctx, step):
                failed.append(step.name)
        _retry_waiting_digest(ctx)
        return _finish(ctx, CYCLE, "failed" if failed else "ok", failed)


def _retry_waiting_digest(ctx: JobContext) -> None:
    """A digest waiting for fresh data is tried again after each cycle (it now has this
    cycle's sync), until it goes out or its deadline passes (then it goes with a banner)."""
    if not ctx.should_stop() and digest_waiting(ctx.store):
        log.info("digest: trying again after this cycle's sync")
        run_digest(ctx)


def run_digest(ctx: JobContext, due_at: datetime | None = None) -> JobResult:
    """Build and queue the weekly digest due at `due_at`, then send it. A digest that already
    went out for that slot (another replica, or before a restart) is not built twice."""
    if ctx.should_stop():
        return JobResult(DIGEST, "interrupted")
    with ctx.store.locks.job(DIGEST) as acquired:
        if not acquired:
            return _skipped(ctx, DIGEST)
        ctx.store.runs.abandon(DIGEST, ctx.clock())  # this lock is the digest kind's lock too
        done = ctx.store.runs.latest(DIGEST, status="ok")
        if due_at is not None and done is not None and done.started_at >= due_at:
            log.info("digest due at %s already built at %s", due_at, done.started_at)
            ctx.metrics.count_job(DIGEST, "done")
            return JobResult(DIGEST, "done")
        failed = [] if run_step(ctx, ctx.digest, locked=False) else [ctx.digest.name]
        if not ctx.should_stop() and not run_step(ctx, ctx.send):
            failed.append(ctx.send.name)
        return _finish(ctx, DIGEST, "failed" if failed else "ok", failed)


def _sync(ctx: JobContext, *, full: bool) -> bool:
    """Sync all sources; False when any failed (or the store did)."""
    try:  # each source under its own lock (see sync_sources): the sync kind's locks
        summaries = sync_sources(
            ctx.store, ctx.connectors, ctx.clock, full=full, should_stop=ctx.should_stop
        )
    except LpmsyncError as exc:
        log.error("sync stopped: %s", exc)
        return False
    for summary in summaries:
        _report_sync(ctx, summary)
    return all(summary.status != "failed" for summary in summaries)


def _report_sync(ctx: JobContext, summary: SourceSummary) -> None:
    ctx.metrics.observe_sync(
        summary.source,
        status=summary.status,
        seconds=summary.seconds,
        changes={
            "added": summary.added,
            "changed": summary.changed,
            "removed": summary.removed,
            "skipped": summary.skipped_count,
        },
        requests=summary.requests,
        # What the store holds now: an incremental sync only sees what changed.
        unmapped=ctx.store.items.hygiene_counts().get(summary.source, (0, 0))[0],
    )
    if summary.status == "ok":
        ctx.metrics.mark_success("sync", ctx.clock(), summary.source)
    log.info(
        "sync %s: %s, %d added, %d changed, %d removed, %d skipped, %d unmapped, "
        "%d requests in %.1fs",
        summary.source,
        summary.status,
        summary.added,
        summary.changed,
        summary.removed,
        summary.skipped_count,
        summary.unmapped_count,
        summary.requests,
        summary.seconds,
    )


def run_step(ctx: JobContext, step: Step, *, locked: bool = True) -> bool:
    """Run one step under its kind's lock (unless the caller holds it: `locked=False`),
    recorded in `store.runs`; False when it failed (logged and recorded). A step whose lock
    another process holds past the wait is skipped: that process is doing the same work."""
    if not locked:
        return _run_step(ctx, step)
    try:
        with job_lock(ctx.store, step.name, ctx.clock, wait=STEP_WAIT_SECONDS):
            return _run_step(ctx, step)
    except JobBusyError as exc:
        log.warning("%s skipped: %s", step.name, exc)
        return True


def _run_step(ctx: JobContext, step: Step) -> bool:
    run_id = None if step.records_itself else ctx.store.runs.start(step.name, None, ctx.clock())
    try:
        outcome = step.run()
    except Exception as exc:  # a failing step (or a bug in one) must not stop the service
        if isinstance(exc, LpmsyncError):
            log.error("%s failed: %s", step.name, exc)
            error = str(exc)
        else:
            log.exception("%s failed unexpectedly", step.name)
            error = f"unexpected {type(exc).__name__}"
        if run_id is not None:
            ctx.store.runs.finish(run_id, ctx.clock(), "failed", {}, error)
        return False
    finished = ctx.clock()
    if run_id is not None:
        ctx.store.runs.finish(run_id, finished, outcome.status, outcome.stats)
        log.info("%s: %s", step.name, _describe(outcome.stats))
    if outcome.status == "ok":
        ctx.metrics.mark_success(step.name, finished)
    return outcome.status != "failed"


def _describe(stats: Mapping[str, JsonValue]) -> str:
    return " ".join(f"{key}={value}" for key, value in stats.items()) or "done"


def _skipped(ctx: JobContext, job: str) -> JobResult:
    log.info("%s skipped: another lpmsync process is running it", job)
    ctx.metrics.count_job(job, "skipped")
    return JobResult(job, "skipped")


def _finish(ctx: JobContext, job: str, status: str, failed: list[str]) -> JobResult:
    ctx.metrics.count_job(job, status)
    if status == "ok":
        ctx.metrics.mark_success(job, ctx.clock())
    return JobResult(job, status, tuple(failed))
