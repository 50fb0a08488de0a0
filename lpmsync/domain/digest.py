"""The weekly digest as data: headline numbers with week-over-week deltas, and the lists behind
them. Built by `lpmsync.analysis.digest`, rendered by `lpmsync.notify.render_digest` and charted
by `lpmsync.notify.charts`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lpmsync.domain.flow import FlowMetrics
from lpmsync.domain.model import Level
from lpmsync.domain.report import ItemAge, UnmappedItem


class Unit(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a share between 0 and 1, shown as a percentage


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline number; `previous` is last week's value (None: no snapshot to compare)."""

    key: str
    label: str
    value: float
    previous: float | None = None
    unit: Unit = Unit.COUNT

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True, slots=True)
class WipLine:
    """Items of one level in one state (optionally one value stream) against its limits."""

    state: str
    level: Level
    value_stream: str | None
    count: int
    limit: int | None = None
    min: int | None = None
    previous: int | None = None

    @property
    def key(self) -> str:
        return "/".join(p for p in (self.state, self.level.value, self.value_stream) if p)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def under(self) -> bool:
        return self.min is not None and self.count < self.min


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """A theme's share of active work against its target (None: no guardrail)."""

    theme: str
    name: str
    actual_share: float
    target_share: float | None = None
    tolerance: float = 0.0
    previous_share: float | None = None
    retired: bool = False
    unaligned: bool = False  # the share of work serving no theme at all, not a theme
    trend: tuple[float, ...] = ()  # shares of the weeks before, oldest first (at most four)

    @property
    def off_target(self) -> bool:
        if self.target_share is None:
            return False
        return abs(self.actual_share - self.target_share) > self.tolerance + 1e-9


@dataclass(frozen=True, slots=True)
class DigestItem:
    """A tracker item the digest lists (tracker text: escaped when rendered)."""

    source: str
    key: str
    title: str
    url: str
    state: str
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class StaleSource:
    """A source whose data is older than the digest accepts: `last_success` is when it last
    synced successfully (None: never)."""

    name: str
    last_success: datetime | None


@dataclass(frozen=True, slots=True)
class Digest:
    """One weekly digest. `period_start`..`taken_at` is the week it covers; `previous_at` is the
    snapshot the deltas compare with. `unaligned_total` counts every unaligned item, while
    `unaligned` lists at most the configured top N; `unmapped` lists every unmapped item."""

    portfolio: str
    taken_at: datetime
    period_start: datetime
    headlines: tuple[Headline, ...]
    wip: tuple[WipLine, ...] = ()
    allocation: tuple[AllocationLine, ...] = ()
    aging: tuple[ItemAge, ...] = ()
    unaligned: tuple[DigestItem, ...] = ()
    unaligned_total: int = 0
    unmapped: tuple[UnmappedItem, ...] = ()
    previous_at: datetime | None = None
    flow: FlowMetrics | None = None  # the flow charts and forecasts
    stale_sources: tuple[StaleSource, ...] = ()  # sent anyway, past the wait: a banner says so
    aging_limits: Mapping[str, int] = field(default_factory=dict)  # state → max_age_days
    actions_summary: str | None = None  # "3 alerts acknowledged, 2 snoozed this week"

    @property
    def iso_week(self) -> str:
        """The ISO week the digest covers (`2026-W46`): the week of the period's midpoint, so a
        Monday digest names the week that just ended, not the one that just began."""
        middle = self.period_start + (self.taken_at - self.period_start) / 2
        year, week, _ = middle.isocalendar()
        return f"{year}-W{week:02d}"
