"""Bounded retries that honour `Retry-After`, with jittered exponential backoff otherwise.

The sleep function and random source are injected, so tests never really sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class RetryableError(Exception):
    """An attempt that may succeed later; `retry_after` is in seconds, when the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0  # seconds, doubled per attempt
    max_delay: float = 60.0  # a Retry-After above this is capped
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[int, float, RetryableError], None] | None = None

    def delay(self, attempt: int, error: RetryableError) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff: float = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        return backoff * (0.5 + self.rng.random() / 2)  # jitter: spread retries out

    def call(self, attempt_fn: Callable[[], T]) -> T:
        """Run `attempt_fn` until it returns or raises a non-retryable error; after the last
        attempt the `RetryableError` propagates for the caller to translate."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return attempt_fn()
            except RetryableError as error:
                if attempt == self.max_attempts:
                    raise
                wait = self.delay(attempt, error)
                if self.on_retry is not None:
                    self.on_retry(attempt, wait, error)
                self.sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")
