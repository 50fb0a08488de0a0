"""The APScheduler wiring: triggers in the portfolio's time zone, job options that never drop a
digest, and a stop on SIGTERM that lets the running job finish."""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lpmsync.scheduler import (
    CYCLE_JOB_ID,
    DIGEST_JOB_ID,
    ScheduleSpec,
    build_scheduler,
    log_slow_stop,
    serve,
)
from lpmsync.services.jobs_status import previous_fire_time, stale_after, sync_interval

BERLIN = ZoneInfo("Europe/Berlin")


def spec(**changes: object) -> ScheduleSpec:
    values: dict[str, object] = {
        "timezone": "Europe/Berlin",
        "sync_cron": "*/15 * * * *",
        "digest_cron": "0 9 * * mon",
        "misfire_grace": timedelta(hours=6),
    }
    values.update(changes)
    return ScheduleSpec(**values)  # type: ignore[arg-type]


def test_jobs_have_fixed_ids_and_options_that_never_drop_a_run() -> None:
    service = build_scheduler(spec(), lambda: None, lambda: None)
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert set(jobs) == {CYCLE_JOB_ID, DIGEST_JOB_ID}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
    assert str(service.scheduler.timezone) == "Europe/Berlin"


def test_the_digest_fires_on_monday_morning_in_the_portfolio_time_zone() -> None:
    service = build_scheduler(spec(), lambda: None, lambda: None)
    digest = service.scheduler.get_job(DIGEST_JOB_ID)
    sunday_night = datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    fire = digest.trigger.get_next_fire_time(None, sunday_night)
    assert fire == datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)  # 08:00 UTC, Monday
    assert fire.weekday() == 0


def test_sync_now_and_a_missed_digest_run_at_start() -> None:
    missed = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
    service = build_scheduler(
        spec(sync_now=True, digest_catch_up=missed), lambda: None, lambda: None
    )
    cycle = service.scheduler.get_job(CYCLE_JOB_ID)
    digest = service.scheduler.get_job(DIGEST_JOB_ID)
    assert cycle.next_run_time is not None and digest.next_run_time == missed
    quiet = build_scheduler(spec(), lambda: None, lambda: None)
    assert not hasattr(quiet.scheduler.get_job(CYCLE_JOB_ID), "next_run_time")


def test_a_fixed_interval_replaces_the_sync_cron() -> None:
    service = build_scheduler(spec(sync_every=timedelta(seconds=2)), lambda: None, lambda: None)
    trigger = service.scheduler.get_job(CYCLE_JOB_ID).trigger
    assert trigger.interval == timedelta(seconds=2)


@pytest.mark.parametrize(
    ("cron", "interval"),
    [
        ("*/15 * * * *", timedelta(minutes=15)),
        ("0 * * * *", timedelta(hours=1)),
        ("0 9 * * mon-fri", timedelta(days=3)),  # Friday to Monday
        ("30 6,18 * * *", timedelta(hours=12)),
    ],
)
def test_the_sync_interval_is_the_longest_gap_of_the_schedule(
    cron: str, interval: timedelta
) -> None:
    start = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert sync_interval(cron, "Europe/Berlin", start) == interval
    assert stale_after(cron, "Europe/Berlin", start) == 3 * interval


def test_previous_fire_time_finds_the_last_slot() -> None:
    wednesday = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert previous_fire_time("0 9 * * mon", "Europe/Berlin", wednesday) == datetime(
        2026, 11, 16, 9, 0, tzinfo=BERLIN
    )
    assert previous_fire_time("0 9 1 1 *", "UTC", wednesday) is None  # beyond 32 days


def test_sigterm_stops_scheduling_and_waits_for_the_running_job() -> None:
    stop = threading.Event()
    seen: list[str] = []
    runs = threading.Event()

    def cycle() -> None:
        seen.append("started")
        os.kill(os.getpid(), signal.SIGTERM)  # arrives in the main thread, inside serve()
        assert stop.wait(30)
        seen.append("finished after the stop request")
        runs.set()

    before = signal.getsignal(signal.SIGTERM)
    service = build_scheduler(
        spec(sync_now=True, sync_every=timedelta(hours=1)), cycle, lambda: None
    )
    serve(service, stop)
    assert runs.is_set() and seen == ["started", "finished after the stop request"]
    assert not service.scheduler.running
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_stop_before_start_returns_at_once() -> None:
    stop = threading.Event()
    stop.set()
    ran: list[str] = []
    service = build_scheduler(spec(sync_now=True), lambda: ran.append("x"), lambda: None)
    serve(service, stop)
    assert ran == [] and not service.scheduler.running


def test_a_slow_stop_logs_where_each_thread_waits(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def a_page_still_fetching() -> None:
        release.wait(30)

    job = threading.Thread(target=a_page_still_fetching, name="lpmsync-job")
    job.start()
    try:
        with caplog.at_level(logging.WARNING, logger="lpmsync.scheduler"):
            log_slow_stop()
    finally:
        release.set()
        job.join()
    message = caplog.records[-1].getMessage()
    assert message.startswith("still stopping after 20 s")
    assert "lpmsync-job: threading.py" in message and "a_page_still_fetching" in message
