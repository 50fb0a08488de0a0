"""Requests in flight to one tracker: up to `parallelism`, fewer while the tracker pushes back.

Additive increase, multiplicative decrease, as TCP does for congestion. An answer that says "slow
down" (HTTP 429, or `Retry-After` on any answer) halves the requests allowed in flight, at most
once per round: the requests already under way when it came get the same answer and must not cut
again. While a thread waits out a `Retry-After` it holds every new request of the source, so the
other fetch threads do not each run into the limit on their own. After as many calm answers in a
row as are allowed in flight, one more is allowed, back up to `parallelism`.

A tracker that never pushes back sees `parallelism` requests at a time; one that does sees the
sync slow down rather than a burst of retries. No clock and no sleep here: the waiting thread
sleeps with the retry policy's sleep (stoppable in the service, a fake in tests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("lpmsync.connectors")


@dataclass
class Ticket:
    """One request under way: the order it was let through in, and whether it was pushed back."""

    number: int
    pushed_back: bool = False


class Pacer:
    def __init__(self, parallelism: int, *, source: str) -> None:
        self.parallelism = parallelism
        self._source = source
        self._limit = parallelism
        self._in_flight = 0
        self._holds = 0  # threads waiting out a Retry-After
        self._calm = 0  # calm answers since the limit last changed
        self._issued = 0  # tickets handed out
        self._cut_at = 0  # the first ticket issued after the last cut
        self._warned = False
        self._changed = threading.Condition()
        self._current = threading.local()

    @property
    def limit(self) -> int:
        """How many requests may be in flight now."""
        with self._changed:
            return self._limit

    @contextmanager
    def slot(self) -> Iterator[Ticket]:
        """One of the requests allowed in flight, for the block. An answer that returns normally
        and was not pushed back counts as calm."""
        ticket = self._enter()
        self._current.ticket = ticket
        calm = False
        try:
            yield ticket
            calm = not ticket.pushed_back
        finally:
            self._current.ticket = None
            self._leave(calm)

    @contextmanager
    def holding(self) -> Iterator[None]:
        """No new request starts during the block (the caller waits out a `Retry-After`)."""
        with self._changed:
            self._holds += 1
        try:
            yield
        finally:
            with self._changed:
                self._holds -= 1
                self._changed.notify_all()

    def pushed_back(self, ticket: Ticket | None = None) -> None:
        """The tracker said "slow down" to `ticket`'s request (default: this thread's)."""
        ticket = ticket or getattr(self._current, "ticket", None)
        with self._changed:
            if ticket is not None:
                ticket.pushed_back = True
                if ticket.number < self._cut_at:
                    return  # under way before the last cut: the same signal, acted on already
            before, self._limit = self._limit, max(1, self._limit // 2)
            self._cut_at, self._calm = self._issued, 0
            after, first = self._limit, not self._warned
            self._warned = self._warned or after < before
        if after < before:
            # The first cut is news; a limit probed again and again is not (one line each).
            log.log(
                logging.WARNING if first else logging.INFO,
                "source %s: the tracker asked lpmsync to slow down; at most %d requests in "
                "flight now (was %d)",
                self._source,
                after,
                before,
            )

    def _enter(self) -> Ticket:
        with self._changed:
            while self._holds or self._in_flight >= self._limit:
                self._changed.wait()
            self._in_flight += 1
            self._issued += 1
            return Ticket(self._issued - 1)

    def _leave(self, calm: bool) -> None:
        with self._changed:
            self._in_flight -= 1
            restored = calm and self._limit < self.parallelism and self._calmed()
            self._changed.notify_all()
        if restored:
            log.info("source %s: back to %d requests in flight", self._source, self.parallelism)

    def _calmed(self) -> bool:
        """Count one calm answer (lock held); True when that restores the full parallelism."""
        self._calm += 1
        if self._calm >= self._limit:
            self._limit, self._calm = self._limit + 1, 0
        return self._limit == self.parallelism
