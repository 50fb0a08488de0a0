"""A stop request that remembers what asked for it (e.g. `SIGTERM`), for the line printed at
the end. It is a `threading.Event`, so it can be waited on and passed where one is expected."""

from __future__ import annotations

import threading


class StopRequest(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if not self.is_set():
            self.reason = reason
            self.set()


def stop_reason(stop: threading.Event | None) -> str | None:
    """What stopped the work (None while nothing did)."""
    if stop is None or not stop.is_set():
        return None
    return getattr(stop, "reason", None) or "a stop request"
