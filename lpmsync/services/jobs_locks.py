"""One lock per job kind (`check`, `send`, `digest`; sync takes one per source, see
`services.sync`), taken by every entry point:
the scheduler's steps and the one-off CLI commands alike, so no two processes ever interleave
the same kind of work (two checks at once could lose an alert's link to its Slack message).

A one-off command waits a bounded time for the other process to finish, then gives up with
"another check is running" (exit 1). Holding the lock, it marks the kind's runs that a dead
process left `running` as `abandoned`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from lpmsync.errors import LpmsyncError
from lpmsync.services.clock import Clock
from lpmsync.store import SqlStore

log = logging.getLogger("lpmsync.jobs")

CHECK, SEND, DIGEST = "check", "send", "digest"
CLI_WAIT_SECONDS = 60.0  # how long a one-off command waits for the same job elsewhere


class JobBusyError(LpmsyncError):
    """The same kind of job is running in another process (exit code 1)."""


@contextmanager
def job_lock(
    store: SqlStore, kind: str, clock: Clock, *, wait: float | None = None
) -> Iterator[None]:
    """Hold `kind`'s lock for the block, or raise `JobBusyError` after `wait` seconds
    (default `CLI_WAIT_SECONDS`)."""
    wait = CLI_WAIT_SECONDS if wait is None else wait
    with store.locks.job(kind, wait=wait) as acquired:
        if not acquired:
            raise JobBusyError(
                f"another {kind} is running (waited {wait:.0f}s for it); "
                "try again when it has finished"
            )
        abandoned = store.runs.abandon(kind, clock())
        if abandoned:
            log.warning(
                "%d %s run(s) left running by a stopped process: abandoned", abandoned, kind
            )
        yield


def abandon_dead_runs(store: SqlStore, clock: Clock) -> None:
    """At a service's start: every kind whose lock is free has no live run, so its runs still
    `running` were left by a dead process. A kind another replica is running is left alone.
    Sync runs are not among them: sync takes one lock per source, and `sync_sources` abandons a
    source's dead runs when it takes that source's lock."""
    for kind in (CHECK, SEND, DIGEST):
        with store.locks.job(kind) as acquired:
            if acquired and (count := store.runs.abandon(kind, clock())):
                log.warning(
                    "%d %s run(s) left running by a stopped process: abandoned", count, kind
                )
