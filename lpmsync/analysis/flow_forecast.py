"""Monte Carlo forecasts: when will an epic's remaining features be done?

Each trial draws weekly feature throughputs at random (with replacement) from the window's weekly
feature velocity of the epic's value stream (the whole portfolio's when the epic has none) until
the remaining features are done; the weeks it took give the dates. The generator is seeded from
`flow.seed`, the value stream and the remaining count, so equal inputs give equal forecasts, in
any order and on every run.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from math import floor
from zoneinfo import ZoneInfo

HORIZON_WEEKS = 520
"""A trial that needs more than ten years is cut off; a percentile landing there is None."""


def nearest_rank(ordered: Sequence[float], percent: int) -> float:
    """The smallest value v of the sorted, non-empty `ordered` such that at least `percent`% of
    the values are <= v."""
    rank = -(-percent * len(ordered) // 100)
    return ordered[max(rank, 1) - 1]


def simulate_weeks(
    throughputs: Sequence[int], remaining: int, trials: int, rng: random.Random
) -> list[float]:
    """Weeks each trial needed, sorted (`inf` past the horizon). All trials advance one week at
    a time together, so a simulation costs one bulk draw per simulated week."""
    outcomes: list[float] = []
    totals = [0] * trials
    week = 0
    draw, count = rng.random, float(len(throughputs))
    while totals and week < HORIZON_WEEKS:
        week += 1
        # One draw per unfinished trial, in trial order: exactly `rng.choices(throughputs,
        # k=len(totals))` (floor(random() * n)), added in place instead of in a second list.
        totals = [total + throughputs[floor(draw() * count)] for total in totals]
        unfinished = [total for total in totals if total < remaining]
        outcomes += [float(week)] * (len(totals) - len(unfinished))
        totals = unfinished
    outcomes += [float("inf")] * len(totals)
    return outcomes


class Forecaster:
    """Dates by (value stream, remaining), simulated once each."""

    def __init__(
        self,
        stream_velocity: Mapping[str | None, Sequence[int]],
        weeks: int,
        *,
        trials: int,
        seed: int,
        now: datetime,
        timezone: str,
    ) -> None:
        self._streams = stream_velocity
        self._portfolio = [sum(column) for column in zip(*stream_velocity.values(), strict=True)]
        self._weeks = weeks
        self.trials = trials
        self._seed = seed
        self._now = now
        self._zone = ZoneInfo(timezone)
        self._cache: dict[tuple[str | None, int], tuple[date | None, date | None]] = {}

    def dates(self, stream: str | None, remaining: int) -> tuple[date | None, date | None]:
        """(p50, p85) dates for `remaining` features of `stream` (None: the whole portfolio)."""
        found = self._cache.get((stream, remaining))
        if found is None:
            found = self._cache[(stream, remaining)] = self._simulate(stream, remaining)
        return found

    def throughputs(self, stream: str | None) -> list[int]:
        if stream is None:
            return self._portfolio or [0] * self._weeks
        return list(self._streams.get(stream, [0] * self._weeks))

    def _simulate(self, stream: str | None, remaining: int) -> tuple[date | None, date | None]:
        throughputs = self.throughputs(stream)
        if not any(throughputs):
            return None, None
        # A simulation, not cryptography: reproducible on purpose.
        rng = random.Random(f"{self._seed}|{stream or ''}|{remaining}")  # noqa: S311
        outcomes = simulate_weeks(throughputs, remaining, self.trials, rng)
        return self._date(nearest_rank(outcomes, 50)), self._date(nearest_rank(outcomes, 85))

    def _date(self, weeks: float) -> date | None:
        if weeks == float("inf"):
            return None
        return (self._now + timedelta(weeks=weeks)).astimezone(self._zone).date()
