"""Flow metrics and forecasts: their policy and their results (see docs/report.md, `flow`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from lpmsync.domain.model import Level

FLOW_FIGURES = ("velocity", "load", "flow_time")
"""The figures that need state history; `FlowMetrics.left_out` counts, per figure and level, the
items each had to leave out for lack of it (efficiency uses flow time's items)."""


@dataclass(frozen=True, slots=True)
class FlowPolicy:
    """How flow is measured. `statuses` maps each source's tracker statuses (as the history names
    them) to Kanban states; `start_state` None means the first active state an item entered."""

    window_weeks: int = 12
    wait_states: tuple[str, ...] = ("Ready",)
    start_state: str | None = None
    trials: int = 2_000
    seed: int = 0
    statuses: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowTime:
    """Days from start to done over `n` finished items, nearest-rank percentiles (None: n = 0)."""

    n: int = 0
    p50: float | None = None
    p85: float | None = None
    p95: float | None = None


@dataclass(frozen=True, slots=True)
class FinishedItem:
    """An item whose last entry into done fell inside the window, with its flow time."""

    source: str
    key: str
    level: Level
    done_at: datetime
    days: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """When an epic's remaining features are likely done (None: no feature velocity at all, or
    more than the simulation's horizon)."""

    source: str
    key: str
    title: str
    url: str
    remaining: int
    p50: date | None
    p85: date | None
    trials: int
    value_stream: str | None = None
    target_date: date | None = None


@dataclass(frozen=True, slots=True)
class StayLimit:
    """`aging` against history: the nearest-rank `percentile` of `samples` past stays in a state
    (stays that ended inside the window), in days; None with fewer than `MIN_STAYS` samples."""

    percentile: int
    samples: int
    days: float | None


MIN_STAYS = 5


@dataclass(frozen=True, slots=True)
class FlowMetrics:
    """The flow section of a report. Lists indexed by bucket run oldest first.

    `states` holds, per level and active state, the items in that state at the end of each
    bucket (the cumulative flow diagram; `load` is its sum over the active states).
    """

    window_weeks: int
    buckets: tuple[datetime, ...]
    velocity: Mapping[Level, tuple[int, ...]]
    load: Mapping[Level, tuple[int, ...]]
    flow_time: Mapping[Level, FlowTime]
    efficiency: Mapping[Level, float | None]
    distribution: Mapping[str, float]
    forecasts: tuple[Forecast, ...]
    left_out: Mapping[str, Mapping[Level, int]]
    states: Mapping[Level, Mapping[str, tuple[int, ...]]]
    finished: tuple[FinishedItem, ...] = ()
    stay_limits: Mapping[tuple[str, Level], StayLimit] = field(default_factory=dict)
