"""Wrong access tokens are limited per client address, so the token cannot be guessed by trying.

After `attempts` wrong tokens from one address within `window` seconds (the login form and
`Authorization: Bearer` alike), that address gets 429 with `Retry-After` until the oldest of
them is `window` seconds old. A missing token is not an attempt: a browser arriving without its
cookie is sent to the login form as before. Behind a reverse proxy every request comes from the
proxy's address unless the server is told to trust its `X-Forwarded-For`; docs/deploy.md says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Any

ATTEMPTS = 5
WINDOW_SECONDS = 60.0
TRACKED_ADDRESSES = 10_000  # memory stays bounded under a spray from many addresses


class WrongTokenLimiter:
    def __init__(
        self,
        attempts: int = ATTEMPTS,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        tracked: int = TRACKED_ADDRESSES,
    ) -> None:
        self.attempts, self.window, self._clock, self._tracked = attempts, window, clock, tracked
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # the gate runs on the event loop, pages in worker threads

    def retry_after(self, address: str) -> int:
        """Whole seconds until `address` may try again (0: it may try now)."""
        with self._lock:
            recent = self._recent(address)
            if recent is None or len(recent) < self.attempts:
                return 0
            return max(1, math.ceil(recent[0] + self.window - self._clock()))

    def failed(self, address: str) -> None:
        with self._lock:
            recent = self._recent(address)
            if recent is None:
                recent = self._failures[address] = deque(maxlen=self.attempts)
                while len(self._failures) > self._tracked:
                    self._failures.popitem(last=False)
            recent.append(self._clock())
            self._failures.move_to_end(address)

    def _recent(self, address: str) -> deque[float] | None:
        recent = self._failures.get(address)
        if recent is None:
            return None
        cutoff = self._clock() - self.window
        while recent and recent[0] <= cutoff:
            recent.popleft()
        if not recent:
            del self._failures[address]
            return None
        return recent


def client_address(scope: Mapping[str, Any]) -> str:
    """The peer address of an ASGI scope ("unknown" for a server that does not give one)."""
    client = scope.get("client")
    if isinstance(client, tuple | list) and client:
        return str(client[0])
    return "unknown"
