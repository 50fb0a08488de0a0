"""The send use case: drain the outbox into Slack, and record the run.

The outbox row is the truth. A message is claimed (a one-minute lease, renewed by a heartbeat
while the sender lives), its attempt recorded as started, then it is sent and marked sent with
the ts Slack gave it. If the sender dies between the request and the record (kill -9, a timeout,
a lost answer), the row comes back with `attempt_started_at` still set: before posting it again,
the sender looks for its key in the channel's history (message metadata) and adopts the ts it
finds. When Slack is down (5xx, timeouts, refused connections) the run stops at the first
failure and the rest stays pending: an outage delays messages and loses none. A 429 is waited
out in the run when `sleep` is given and the wait is short; otherwise the message is scheduled
after its Retry-After. A message refused as too long is split and sent in parts. Other permanent
errors fail that message only, except credential errors (`invalid_auth`, `token_revoked`, ...),
which stop the run without failing the backlog. A stop request (SIGTERM) lets the message in
flight finish, then ends the drain and gives the unsent claims back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.errors import PermanentNotifyError, TransientNotifyError
from lpmsync.notify.slack import Delivery
from lpmsync.notify.slack_errors import AUTH_CODES
from lpmsync.notify.slack_lookup import HistoryUnreadableError
from lpmsync.services.clock import Clock
from lpmsync.services.send_split import split_in_two
from lpmsync.services.send_summary import Backoff, SendSummary
from lpmsync.services.stopping import stop_reason
from lpmsync.store import SqlStore
from lpmsync.store.outbox import DEFAULT_LEASE
from lpmsync.store.outbox_rows import OutboxEntry

__all__ = ["Backoff", "SendSummary", "Sender", "default_worker", "drain_outbox"]

log = logging.getLogger("lpmsync.send")

Sleep = Callable[[float], object]  # time.sleep, or a stop event's wait
TOO_LONG = "msg_blocks_too_long"


class Sender(Protocol):
    def send(self, message: OutgoingMessage, parent: Delivery | None = None) -> Delivery: ...

    def find(
        self, message: OutgoingMessage, parent: Delivery | None, since: datetime
    ) -> Delivery | None: ...


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
    stop: threading.Event | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> SendSummary:
    """Send up to `limit` due messages; returns what happened (also recorded as a run)."""
    drain = _Drain(
        store, sender, clock, max_attempts=max_attempts, sleep=sleep, backoff=backoff or Backoff()
    )
    worker = worker or default_worker()
    run_id = store.runs.start("send", None, clock())
    try:
        with _Heartbeat(store, worker, clock, lease):
            drain.run(limit, batch, worker, stop)
    finally:
        summary = drain.summary
        summary.pending = store.outbox.depth()
        summary.waiting, summary.next_attempt = store.outbox.next_attempt(clock())
        summary.interrupted = stop_reason(stop)
        error = "; ".join(summary.errors[:3]) or None
        store.runs.finish(run_id, clock(), summary.status, summary.stats(), error)
    log.info("send: %s", summary.line())
    return summary


class _Heartbeat:
    """Renews this sender's leases every third of the lease while it works, so a live sender
    keeps its rows however slow Slack is, and a dead one loses them within one lease."""

    def __init__(self, store: SqlStore, worker: str, clock: Clock, lease: timedelta) -> None:
        self._store, self._worker, self._clock, self._lease = store, worker, clock, lease
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lpmsync-lease", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self._lease.total_seconds() / 3):
            try:
                self._store.outbox.renew(self._worker, self._clock() + self._lease)
            except Exception as exc:  # a missed beat only shortens the lease; never crash
                log.warning("renewing the outbox leases failed: %s", exc)


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

    def run(self, limit: int, batch: int, worker: str, stop: threading.Event | None) -> None:
        handled = 0
        while handled < limit and self.summary.stopped is None:
            if stop is not None and stop.is_set():
                return
            entries = self.store.outbox.claim(
                self.clock(), limit=min(batch, limit - handled), worker=worker
            )
            if not entries:
                return
            for index, entry in enumerate(entries):
                if stop is not None and stop.is_set():  # the message in flight is done
                    self.store.outbox.release([e.id for e in entries[index:]])
                    return
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
        if entry.attempt_started_at is not None and entry.message.kind is MessageKind.POST:
            settled = self._reconcile(entry, parent)
            if settled is not None:
                return settled
        message = entry.message
        while True:
            self.store.outbox.start_attempt(entry.id, self.clock())
            try:
                delivery = self.sender.send(message, parent)
            except TransientNotifyError as error:
                if self._wait_out(error):
                    continue
                # Without a Retry-After (a timeout, a 5xx) Slack may have posted it after all.
                self._retry(entry, error, code=None, uncertain=error.retry_after is None)
                self.summary.stopped = "slack unavailable"
            except PermanentNotifyError as error:
                halves = split_in_two(message) if error.code == TOO_LONG else None
                if halves is not None:
                    self.store.outbox.split(entry.id, halves[0], [halves[1]], self.clock())
                    self.summary.split += 1
                    message = halves[0]
                    continue
                self._refused(entry, error)
            else:
                self.store.outbox.mark_sent(entry.id, delivery.channel, delivery.ts, self.clock())
                self.summary.sent += 1
            return self.summary.stopped is None

    def _reconcile(self, entry: OutboxEntry, parent: Delivery | None) -> bool | None:
        """An earlier attempt may have posted this message: adopt it if Slack has it. None
        means "not found (or cannot tell): post it"; a bool is `_deliver`'s answer."""
        key = entry.message.dedup_key
        since = entry.first_attempt_at or entry.attempt_started_at
        assert since is not None
        try:
            found = self.sender.find(entry.message, parent, since)
        except TransientNotifyError as error:
            self._retry(entry, error, code=None, uncertain=True)
            self.summary.stopped = "slack unavailable"
            return False
        except PermanentNotifyError as error:  # the token: nothing can be read or sent
            self._refused(entry, error)
            return self.summary.stopped is None
        except HistoryUnreadableError as error:
            log.warning(
                "cannot tell whether %s reached Slack before (%s): posting it again", key, error
            )
            self.summary.reposted += 1
            return None
        if found is None:
            return None
        log.info("%s was already in Slack (ts %s): not posted again", key, found.ts)
        self.store.outbox.mark_sent(entry.id, found.channel, found.ts, self.clock())
        self.summary.adopted += 1
        return True

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

    def _retry(
        self, entry: OutboxEntry, error: Exception, code: str | None, *, uncertain: bool = False
    ) -> None:
        attempt = entry.attempts + 1
        if attempt >= self.max_attempts:
            reason = f"gave up after {attempt} attempts: {error}"
            self.store.outbox.mark_failed(entry.id, code or "max_attempts", reason, self.clock())
            self.summary.failed += 1
            self.summary.errors.append(f"{entry.message.dedup_key}: {reason}")
            return
        retry_after = error.retry_after if isinstance(error, TransientNotifyError) else None
        next_attempt = self.clock() + self.backoff.delay(attempt, retry_after)
        self.store.outbox.mark_retry(
            entry.id, str(error), next_attempt, code=code, uncertain=uncertain
        )
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
