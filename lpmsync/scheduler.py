"""APScheduler wiring: the cycle and the digest on their crons, and a clean stop on a signal.

Both jobs share one worker thread, so a digest never overlaps a cycle in one process. Every job
is `coalesce=True` (a backlog of missed runs runs once), `max_instances=1`, and has a misfire
grace of hours (`schedule.misfire_grace`): APScheduler's default of one second would silently
drop a digest whose slot passed while a long sync held the worker.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_START
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from lpmsync.services.stopping import StopRequest

log = logging.getLogger("lpmsync.scheduler")

CYCLE_JOB_ID = "lpmsync-cycle"
SLOW_STOP_SECONDS = 20  # then the log says what the stop waits for
DIGEST_JOB_ID = "lpmsync-digest"


@dataclass(frozen=True)
class ScheduleSpec:
    """When the jobs run, in the portfolio's time zone."""

    timezone: str
    sync_cron: str
    digest_cron: str
    misfire_grace: timedelta
    sync_every: timedelta | None = None  # overrides sync_cron (demos, tests)
    sync_now: bool = False  # run the first cycle at start
    digest_catch_up: datetime | None = None  # a missed digest slot to run at start


@dataclass(frozen=True)
class Service:
    scheduler: BlockingScheduler
    worker: ThreadPoolExecutor  # the one thread the jobs run on

    def next_runs(self) -> dict[str, datetime | None]:
        """When each job runs next (after `start`), for the start-up log line."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}


def build_scheduler(
    spec: ScheduleSpec, cycle: Callable[[], object], digest: Callable[[], object]
) -> Service:
    zone = ZoneInfo(spec.timezone)
    worker = ThreadPoolExecutor(max_workers=1)
    scheduler = BlockingScheduler(timezone=zone, executors={"default": worker})
    options = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": max(1, int(spec.misfire_grace.total_seconds())),
        "replace_existing": True,
    }
    sync_trigger = (
        IntervalTrigger(seconds=spec.sync_every.total_seconds(), timezone=zone)
        if spec.sync_every is not None
        else CronTrigger.from_crontab(spec.sync_cron, timezone=zone)
    )
    cycle_options = {"next_run_time": datetime.now(zone)} if spec.sync_now else {}
    scheduler.add_job(
        cycle,
        sync_trigger,
        id=CYCLE_JOB_ID,
        name="sync → check → send",
        **options,
        **cycle_options,
    )
    digest_options = {"next_run_time": spec.digest_catch_up} if spec.digest_catch_up else {}
    scheduler.add_job(
        digest,
        CronTrigger.from_crontab(spec.digest_cron, timezone=zone),
        id=DIGEST_JOB_ID,
        name="weekly digest",
        **options,
        **digest_options,
    )
    return Service(scheduler, worker)


def serve(
    service: Service, stop: threading.Event, on_start: Callable[[], None] = lambda: None
) -> None:
    """Run until SIGTERM or SIGINT, then wait for the job in progress to end (it sees `stop`
    and finishes its current page) before returning. `on_start` runs once the signal handlers
    are in place (a "running" log line written there is a promise that SIGTERM is handled).

    The signal handler only sets `stop`: calling into APScheduler from a handler could deadlock
    on a lock the interrupted main thread holds. A helper thread shuts the scheduler down.
    """

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s received: finishing the current step, then stopping", _name(signum))
            if isinstance(stop, StopRequest):
                stop.request(_name(signum))  # the send line names the signal
            stop.set()

    started = threading.Event()
    service.scheduler.add_listener(lambda _event: started.set(), EVENT_SCHEDULER_START)
    stopper = threading.Thread(
        target=_shut_down_when_asked,
        args=(service.scheduler, stop, started),
        name="lpmsync-stopper",
        daemon=True,
    )
    with _signals(request_stop):
        stopper.start()
        on_start()
        if not stop.is_set():
            service.scheduler.start()  # returns once the stopper has shut it down
    started.set()  # releases the stopper when the scheduler never started
    stopper.join()
    watchdog = threading.Timer(SLOW_STOP_SECONDS, log_slow_stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        service.worker.shutdown(wait=True)
    finally:
        watchdog.cancel()


def log_slow_stop() -> None:
    """A stop that takes long says what it waits for (each thread's innermost frames), so an
    operator whose container is killed after its grace period can see why."""
    frames = sys._current_frames()  # the documented way to see every thread's frame
    waiting = []
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is None or thread is threading.current_thread():
            continue
        where = " <- ".join(
            f"{Path(f.filename).name}:{f.lineno} {f.name}"
            for f in reversed(traceback.extract_stack(frame)[-3:])
        )
        waiting.append(f"{thread.name}: {where}")
    log.warning(
        "still stopping after %d s: waiting for the job in progress; threads: %s",
        SLOW_STOP_SECONDS,
        "; ".join(waiting),
    )


def _shut_down_when_asked(
    scheduler: BlockingScheduler, stop: threading.Event, started: threading.Event
) -> None:
    stop.wait()
    started.wait()
    if scheduler.running:
        scheduler.shutdown(wait=False)


@contextmanager
def _signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
