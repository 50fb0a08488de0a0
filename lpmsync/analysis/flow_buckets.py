"""The flow window's weekly buckets and the arithmetic that places instants in them.

Bucket `i` (0-based, oldest first) of `W` covers `[now - (W-i)·7d, now - (W-i-1)·7d)`; its end
instant `now - (W-i-1)·7d` is where load is counted. The window is `[now - W·7d, now)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Window:
    now: datetime
    weeks: int

    @property
    def start(self) -> datetime:
        return self.now - self.weeks * WEEK

    @property
    def starts(self) -> tuple[datetime, ...]:
        """Each bucket's start, oldest first."""
        return tuple(self.now - (self.weeks - index) * WEEK for index in range(self.weeks))

    @property
    def ends(self) -> tuple[datetime, ...]:
        """Each bucket's end instant, oldest first (the last one is `now`)."""
        return tuple(self.now - (self.weeks - index - 1) * WEEK for index in range(self.weeks))
