"""`lpmsync run`: the service. Sync → check → send on the sync cron, the digest on its cron,
the board, health and metrics over HTTP; SIGTERM or SIGINT finishes the current page and exits 0."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from lpmsync.bootstrap import build_connectors, build_slack_sender, open_configured_store
from lpmsync.cli.common import ConfigOption, load
from lpmsync.errors import ConfigError, LpmsyncError
from lpmsync.logs import configure_from_settings
from lpmsync.observability import Metrics, Readiness
from lpmsync.scheduler import CYCLE_JOB_ID, ScheduleSpec, Service, build_scheduler, serve
from lpmsync.services import jobs_status
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs import JobContext, JobResult, run_cycle, run_digest
from lpmsync.services.jobs_locks import abandon_dead_runs
from lpmsync.services.jobs_steps import (
    check_step,
    digest_step,
    refresh_store_gauges,
    send_step,
)
from lpmsync.services.stopping import StopRequest
from lpmsync.settings import Settings
from lpmsync.settings.base import parse_duration
from lpmsync.slackapp.listen import start_listener
from lpmsync.store import SqlStore
from lpmsync.web import WebServer
from lpmsync.web.runtime import board_server

log = logging.getLogger("lpmsync.run")


def run(
    config: ConfigOption = None,
    initial_sync: Annotated[
        bool,
        typer.Option(
            "--initial-sync/--no-initial-sync",
            help="Run sync → check → send once at start (default), or wait for the schedule.",
        ),
    ] = True,
    sync_now: Annotated[
        bool, typer.Option("--sync-now", hidden=True, help="The default now; kept for scripts.")
    ] = False,
    sync_every: Annotated[
        str | None,
        typer.Option(
            "--sync-every",
            help="Sync on a fixed interval (e.g. 30s, 5m) instead of schedule.sync; for demos.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the service: sync → check → send on schedule, the weekly digest, health and metrics.

    Stops cleanly on SIGTERM or SIGINT (exit 0).

    One service per SQLite file; any number of replicas with PostgreSQL (each job runs once).
    """
    settings = load(config)
    configure_from_settings(settings.logging.format, settings.logging.level)
    every = _interval(sync_every)
    with ExitStack() as resources:
        store = open_configured_store(settings)
        resources.callback(store.close)
        resources.callback(store.locks.acquire_instance().release)
        ctx = build_job_context(settings, store, resources)
        abandon_dead_runs(store, ctx.clock)
        refresh_store_gauges(store, ctx.metrics)
        if settings.health.enabled:
            resources.callback(_health_server(settings, store, ctx).stop)
        if settings.notify.slack is not None and settings.notify.slack.interactive is not None:
            resources.callback(start_listener(settings, store).stop)  # the Slack app
        spec = _schedule(settings, store, sync_now=initial_sync or sync_now, sync_every=every)
        service = build_scheduler(
            spec, _guarded(lambda: run_cycle(ctx)), _guarded(lambda: _digest(settings, ctx))
        )
        serve(service, ctx.stop, on_start=lambda: _log_start(settings, store, spec, service))
    log.info("lpmsync stopped")


def _interval(value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        every = parse_duration(value)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--sync-every") from None
    if every.total_seconds() < 1:
        raise ConfigError("expected at least 1s", key="--sync-every")
    return every


def build_job_context(settings: Settings, store: SqlStore, resources: ExitStack) -> JobContext:
    """The connectors, the Slack sender, metrics and steps the jobs run with; what needs
    closing is registered on `resources`."""
    stop = StopRequest()
    connectors = build_connectors(settings, stop=stop)
    for connector in connectors:
        resources.callback(connector.close)
    slack = settings.notify.slack
    sender = build_slack_sender(settings) if slack is not None else None
    metrics, clock = Metrics(), utc_now
    return JobContext(
        store=store,
        connectors=connectors,
        metrics=metrics,
        check=check_step(store, settings, clock, metrics),
        send=send_step(
            store,
            sender,
            clock,
            metrics,
            max_attempts=slack.max_attempts if slack else 1,
            stop=stop,
        ),
        digest=digest_step(store, settings, clock, metrics),
        clock=clock,
        stop=stop,
    )


def _health_server(settings: Settings, store: SqlStore, ctx: JobContext) -> WebServer:
    """The board, health and metrics on one bounded server (web.host/port, else health's)."""
    readiness = _readiness(settings, store, utc_now())
    return board_server(settings, store, ctx.metrics.registry, readiness, ctx.clock).start()


def _readiness(settings: Settings, store: SqlStore, started: datetime) -> Callable[[], Readiness]:
    sources = [source.name for source in settings.sources]
    stale = jobs_status.stale_after(settings.schedule.sync, settings.portfolio.timezone, started)

    def check() -> Readiness:
        return jobs_status.readiness(store, sources, utc_now(), stale, started)

    return check


def _schedule(
    settings: Settings, store: SqlStore, *, sync_now: bool, sync_every: timedelta | None
) -> ScheduleSpec:
    schedule, zone = settings.schedule, settings.portfolio.timezone
    return ScheduleSpec(
        timezone=zone,
        sync_cron=schedule.sync,
        digest_cron=schedule.digest,
        misfire_grace=schedule.misfire_grace,
        sync_every=sync_every,
        sync_now=sync_now,
        digest_catch_up=jobs_status.missed_digest(
            store, schedule.digest, zone, utc_now(), schedule.misfire_grace
        ),
    )


def _digest(settings: Settings, ctx: JobContext) -> JobResult:
    due = jobs_status.previous_fire_time(
        settings.schedule.digest, settings.portfolio.timezone, ctx.clock()
    )
    return run_digest(ctx, due)


def _guarded(job: Callable[[], JobResult]) -> Callable[[], None]:
    """A job never raises into the scheduler: the error is logged once, the service goes on."""

    def run_job() -> None:
        try:
            result = job()
        except LpmsyncError as exc:
            log.error("job failed: %s", exc)
            return
        except Exception:
            log.exception("job failed unexpectedly")
            return
        log.info("%s: %s%s", result.job, result.status, _failed(result))

    return run_job


def _failed(result: JobResult) -> str:
    return f" ({', '.join(result.failed_steps)} failed)" if result.failed_steps else ""


def _log_start(settings: Settings, store: SqlStore, spec: ScheduleSpec, service: Service) -> None:
    sync = f"every {spec.sync_every}" if spec.sync_every else repr(spec.sync_cron)
    log.info(
        "lpmsync running: %d sources, %s store, sync %s, digest %r (%s)%s",
        len(settings.sources),
        store.dialect,
        sync,
        spec.digest_cron,
        spec.timezone,
        f"; catching up the digest due at {spec.digest_catch_up}" if spec.digest_catch_up else "",
    )
    log.info("next runs: %s", _next_runs(service, spec))


def _next_runs(service: Service, spec: ScheduleSpec) -> str:
    """`sync → check → send now (initial sync), then 2026-12-01 09:30 CET; weekly digest
    2026-12-07 09:00 CET`: so a silent service says what it waits for."""
    zone = ZoneInfo(spec.timezone)
    now = datetime.now(zone)
    parts = []
    for job in service.scheduler.get_jobs():
        upcoming = job.trigger.get_next_fire_time(None, now)
        when = f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never"
        first = job.id == CYCLE_JOB_ID and spec.sync_now
        parts.append(f"{job.name} {'now (initial sync), then ' if first else ''}{when}")
    return "; ".join(parts)
