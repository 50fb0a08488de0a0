"""Bounded retries that honour `Retry-After`, with jittered exponential backoff otherwise.

A server that refuses the connection, or a name that does not resolve, is a wrong URL far more
often than an outage: it gets one quick retry, then `UnreachableError` ("cannot reach <url>")
instead of the whole backoff. 5xx, 429 and timeouts keep the full policy.

The sleep function and random source are injected, so tests never really sleep; the service's
is `stoppable_sleep`, so a stop request does not wait out a minute of `Retry-After`.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from lpmsync.connectors.pacing import Pacer
from lpmsync.errors import SyncInterruptedError

T = TypeVar("T")


class RetryableError(Exception):
    """An attempt that may succeed later; `retry_after` is in seconds, when the server said.
    `throttled`: the server said to slow down (HTTP 429, or `Retry-After` on the answer)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, throttled: bool = False
    ) -> None:
        self.retry_after = retry_after
        self.throttled = throttled or retry_after is not None
        super().__init__(message)


class UnreachableError(RetryableError):
    """The server refused the connection or its name did not resolve, twice in a row."""


QUICK_RETRY_DELAY = 0.5  # seconds before the one retry of a refused connection


def stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that a stop request cuts short by raising `SyncInterruptedError`: the source then
    ends as "interrupted" with its last committed page and cursor in place."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise SyncInterruptedError("stopped while waiting to retry a request")

    return sleep


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0  # seconds, doubled per attempt
    max_delay: float = 60.0  # a Retry-After above this is capped
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[int, float, RetryableError], None] | None = None
    pacer: Pacer | None = None  # shared by the source's fetch threads

    def delay(self, attempt: int, error: RetryableError) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff: float = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        return backoff * (0.5 + self.rng.random() / 2)  # jitter: spread retries out

    def call(self, attempt_fn: Callable[[], T]) -> T:
        """Run `attempt_fn` until it returns or raises a non-retryable error; after the last
        attempt the `RetryableError` propagates for the caller to translate."""
        refused = False
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._paced(attempt_fn)
            except RetryableError as error:
                reason = unreachable(error)
                if reason is not None and (refused or attempt == self.max_attempts):
                    raise UnreachableError(reason) from None
                if attempt == self.max_attempts:
                    raise
                wait = QUICK_RETRY_DELAY if reason is not None else self.delay(attempt, error)
                refused = reason is not None
                if self.on_retry is not None:
                    self.on_retry(attempt, wait, error)
                self._wait(wait, error)
        raise AssertionError("unreachable: the loop returns or raises")

    def _wait(self, seconds: float, error: RetryableError) -> None:
        """Sleep before the next attempt; a `Retry-After` holds the source's other requests too
        (the tracker said when it will take requests again)."""
        if self.pacer is None or error.retry_after is None:
            self.sleep(seconds)
            return
        with self.pacer.holding():
            self.sleep(seconds)

    def _paced(self, attempt_fn: Callable[[], T]) -> T:
        if self.pacer is None:
            return attempt_fn()
        with self.pacer.slot() as ticket:
            try:
                return attempt_fn()
            except RetryableError as error:
                if error.throttled:
                    self.pacer.pushed_back(ticket)
                raise


def unreachable(error: BaseException) -> str | None:
    """ "cannot reach <origin> (connection refused | name not found)" when the chain of causes
    of `error` holds a refused connection or a failed DNS lookup, else None."""
    url, why = None, None
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            why = "connection refused"
        elif isinstance(current, socket.gaierror):
            why = "name not found"
        found = getattr(getattr(current, "request", None), "url", None)
        if isinstance(found, str) and found.startswith(("http://", "https://")):
            url = url or found
        links = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        links += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [link for link in links if isinstance(link, BaseException)]
    if why is None:
        return None
    return f"cannot reach {_origin(url)} ({why})" if url else f"cannot reach the server ({why})"


def _origin(url: object) -> str:
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else str(url)
