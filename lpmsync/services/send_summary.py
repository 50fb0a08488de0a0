"""What one drain of the outbox did, and how long a failed message waits before its retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lpmsync.domain.findings import JsonValue


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
    """What one drain did; also stored as the `send` run's stats.

    `adopted`: messages an earlier, interrupted attempt had posted, found in the channel's
    history instead of being posted again; `reposted`: messages whose earlier attempt could not
    be checked (no history scope) and were posted again; `split`: messages Slack refused as too
    long and that were split. `waiting`: pending messages held back by a backoff or another
    sender's lease after the drain, the earliest due again at `next_attempt`.
    """

    sent: int = 0
    retried: int = 0
    failed: int = 0
    pending: int = 0
    rate_limit_waits: int = 0
    adopted: int = 0
    reposted: int = 0
    split: int = 0
    waiting: int = 0
    next_attempt: datetime | None = None
    interrupted: str | None = None  # the signal that stopped the drain, if one did
    stopped: str | None = None  # why the run ended before the outbox was empty, if it did
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.stopped is not None or self.failed:
            return "partial" if self.sent else "failed"
        if self.waiting:
            return "partial"
        return "interrupted" if self.interrupted else "ok"

    def line(self) -> str:
        """One line for people and log greps: `3 sent, 1 to retry, 0 failed, 2 pending`."""
        counts = f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"
        extra = "".join(
            f", {n} {what}"
            for n, what in (
                (self.adopted, "already in Slack"),
                (self.reposted, "posted again unchecked"),
                (self.split, "split for size"),
            )
            if n
        )
        line = f"{counts}{extra}, {self.pending} pending"
        if self.stopped:
            line += f" (stopped: {self.stopped})"
        if self.interrupted:
            line += f"; stopped on {self.interrupted}: {self.pending} left in the outbox"
        if self.waiting and self.next_attempt is not None:
            line += (
                f"; {self.waiting} waiting for a retry or another sender, "
                f"next attempt at {self.next_attempt:%Y-%m-%d %H:%M:%S} UTC"
            )
        return line

    def stats(self) -> dict[str, JsonValue]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "pending": self.pending,
            "rate_limit_waits": self.rate_limit_waits,
            "adopted": self.adopted,
            "reposted": self.reposted,
            "split": self.split,
            "waiting": self.waiting,
            "next_attempt": self.next_attempt.isoformat() if self.next_attempt else None,
            "interrupted": self.interrupted,
            "stopped": self.stopped,
            "errors": list(self.errors[:20]),
        }
