"""The send use case: drain the outbox into Slack, and record the run.

The outbox row is the truth. A message is claimed (leased), sent, then marked sent together with
the ts Slack gave it; a crash in between leaves the lease to expire and the row pending. When
Slack is down (5xx, timeouts, refused connections) the run stops at the first failure and the
rest stays pending for the next run: an outage delays messages and loses none. A 429 is waited
out in the run when `sleep` is given and the wait is short; otherwise the message is scheduled
after its Retry-After. Permanent errors fail that message only, except credential errors
(`invalid_auth`, `token_revoked`, ...), which stop the run without failing the backlog.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from lpmsync.domain.alerts import OutgoingMessage
from lpmsync.domain.findings import JsonValue
from lpmsync.errors import PermanentNotifyError, TransientNotifyError
from lpmsync.notify.slack import Delivery
from lpmsync.notify.slack_errors import AUTH_CODES
from lpmsync.services.clock import Clock
from lpmsync.store import SqlStore
from lpmsync.store.outbox_rows import OutboxEntry

log = logging.getLogger("lpmsync.send")

Sleep = Callable[[float], None]


class Sender(Protocol):
    def send(self, message: OutgoingMessage, parent: Delivery | None = None) -> Delivery: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped; a
    Retry-After from Slack is honoured even when it is longer than the cap."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=15)
    max_inline_wait: float = 30.0  # seconds a run may sleep for a 429 instead of stopping
    max_inline_waits: int = 5  # 429 waits per run before it gives up until the next run

    def delay(self, attempt: int, retry_after: float | None) -> timedelta:
        exponential = min(self.cap, self.base * (1 << min(max(attempt - 1, 0), 20)))
        return max(exponential, timedelta(seconds=retry_after or 0))


@dataclass
class SendSummary:
    """What one drain did; also stored as the `send` run's stats."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    pending: int = 0
    rate_limit_waits: int = 0
    stopped: str | None = None  # why the run ended before the outbox was empty, if it did
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.stopped is not None or self.failed:
            return "partial" if self.sent else "failed"
        return "ok"

    def line(self) -> str:
        """One line for people and log greps: `3 sent, 1 to retry, 0 failed, 2 pending`."""
        stopped = f" (stopped: {self.stopped})" if self.stopped else ""
        counts = f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"
        return f"{counts}, {self.pending} pending{stopped}"

    def stats(self) -> dict[str, JsonValue]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "pending": self.pending,
            "rate_limit_waits": self.rate_limit_waits,
            "stopped": self.stopped,
            "errors": list(self.errors[:20]),
        }


def default_worker() -> str:
    """A name unique to this process, for the outbox's leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def drain_outbox(
    store: SqlStore,
    sender: Sender,
    clock: Clock,
    *,
    limit: int = 500,
    max_attempts: int = 50,
    sleep: Sleep | None = None,
    batch: int = 10,
    backoff: Backoff | None = None,
    worker: str | None = None,
) -> SendSummary:
    """Send up to `limit` due messages; returns what happened (also recorded as a run)."""
    drain = _Drain(
        store, sender, clock, max_attempts=max_attempts, sleep=sleep, backoff=backoff or Backoff()
    )
    run_id = store.runs.start("send", None, clock())
    try:
        drain.run(limit, batch, worker or default_worker())
    finally:
        summary = drain.summary
        summary.pending = store.outbox.depth()
        error = "; ".join(summary.errors[:3]) or None
        store.runs.finish(run_id, clock(), summary.status, summary.stats(), error)
    log.info("send: %s", summary.line())
    return summary


class _Drain:
    def __init__(
        self,
        store: SqlStore,
        sender: Sender,
        clock: Clock,
        *,
        max_attempts: int,
        sleep: Sleep | None,
        backoff: Backoff,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.backoff = backoff
        self.summary = SendSummary()

    def run(self, limit: int, batch: int, worker: str) -> None:
        handled = 0
        while handled < limit and self.summary.stopped is None:
            entries = self.store.outbox.claim(
                self.clock(), limit=min(batch, limit - handled), worker=worker
            )
            if not entries:
                return
            for index, entry in enumerate(entries):
                try:
                    go_on = self._deliver(entry)
                except BaseException:
                    self.store.outbox.release([e.id for e in entries[index:]])
                    raise
                handled += 1
                if not go_on:
                    self.store.outbox.release([e.id for e in entries[index + 1 :]])
                    return

    def _deliver(self, entry: OutboxEntry) -> bool:
        """Send one message and record the outcome; False when the run must stop."""
        parent = None
        if entry.parent_channel is not None and entry.parent_ts is not None:
            parent = Delivery(entry.parent_channel, entry.parent_ts)
        while True:
            try:
                delivery = self.sender.send(entry.message, parent)
            except TransientNotifyError as error:
                if self._wait_out(error):
                    continue
                self._retry(entry, error, code=None)
                self.summary.stopped = "slack unavailable"
            except PermanentNotifyError as error:
                self._refused(entry, error)
            else:
                self.store.outbox.mark_sent(entry.id, delivery.channel, delivery.ts, self.clock())
                self.summary.sent += 1
            return self.summary.stopped is None

    def _wait_out(self, error: TransientNotifyError) -> bool:
        """Sleep through a short rate limit instead of ending the run (when allowed)."""
        wait = error.retry_after
        if (
            self.sleep is None
            or wait is None
            or wait > self.backoff.max_inline_wait
            or self.summary.rate_limit_waits >= self.backoff.max_inline_waits
        ):
            return False
        self.summary.rate_limit_waits += 1
        self.sleep(wait)
        return True

    def _retry(self, entry: OutboxEntry, error: Exception, code: str | None) -> None:
        attempt = entry.attempts + 1
        if attempt >= self.max_attempts:
            reason = f"gave up after {attempt} attempts: {error}"
            self.store.outbox.mark_failed(entry.id, code or "max_attempts", reason, self.clock())
            self.summary.failed += 1
            self.summary.errors.append(f"{entry.message.dedup_key}: {reason}")
            return
        retry_after = error.retry_after if isinstance(error, TransientNotifyError) else None
        next_attempt = self.clock() + self.backoff.delay(attempt, retry_after)
        self.store.outbox.mark_retry(entry.id, str(error), next_attempt, code=code)
        self.summary.retried += 1
        self.summary.errors.append(f"{entry.message.dedup_key}: {error}")

    def _refused(self, entry: OutboxEntry, error: PermanentNotifyError) -> None:
        if error.code in AUTH_CODES:
            # The token, not this message, is the problem: keep the backlog for after the fix.
            self._retry(entry, error, code=error.code)
            self.summary.stopped = f"Slack rejected the bot token ({error.code})"
            return
        self.store.outbox.mark_failed(entry.id, error.code, str(error), self.clock())
        self.summary.failed += 1
        self.summary.errors.append(f"{entry.message.dedup_key}: {error}")
