"""The flow window's weekly buckets and the arithmetic that places instants in them.

Bucket `i` (0-based, oldest first) of `W` covers `[now - (W-i)·7d, now - (W-i-1)·7d)`; its end
instant `now - (W-i-1)·7d` is where load is counted. The window is `[now - W·7d, now)`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Window:
    now: datetime
    weeks: int
    _ends: list[datetime] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ends", list(self.ends))

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

    def bucket(self, instant: datetime) -> int | None:
        """The bucket holding `instant`, or None outside the window."""
        if not self.start <= instant < self.now:
            return None
        return self.weeks - -(-(self.now - instant) // WEEK)

    def first_end_at_or_after(self, instant: datetime) -> int:
        """Index of the first bucket end >= `instant` (0..W; W: after every end)."""
        return bisect_left(self._ends, instant)
