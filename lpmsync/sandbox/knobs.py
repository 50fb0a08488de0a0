"""Fault injection and latency for the sandbox server, changeable while it runs."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class Knobs:
    """Fault injection and latency, changeable while the server runs."""

    latency_ms: float = 0.0
    rate_limit_rate: float = 0.0  # share of requests answered 429
    retry_after_seconds: int = 1
    error_rate: float = 0.0  # share answered 500 or 503
    timeout_rate: float = 0.0  # share that hang for `timeout_seconds` then close
    timeout_seconds: float = 5.0
    fail_next: list[int] = field(default_factory=list)  # statuses for the next requests, in order
    max_in_flight: int = 0  # a burst limit: a request arriving while this many are served gets 429
    seed: int = 7

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._serving = 0

    def arrive(self) -> bool:
        """Count a request in; True when it is over the burst limit."""
        with self._lock:
            self._serving += 1
            return 0 < self.max_in_flight < self._serving

    def leave(self) -> None:
        with self._lock:
            self._serving -= 1

    def draw_fault(self) -> int | str | None:
        """A status to answer instead of the real response, "timeout", or None."""
        with self._lock:
            if self.fail_next:
                return self.fail_next.pop(0)
            roll = self._random.random()
        if roll < self.rate_limit_rate:
            return 429
        if roll < self.rate_limit_rate + self.error_rate:
            return 503 if roll * 1000 % 2 < 1 else 500
        if roll < self.rate_limit_rate + self.error_rate + self.timeout_rate:
            return "timeout"
        return None
