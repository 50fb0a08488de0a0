"""What one analysis run yields: findings plus the aggregates behind reports and digests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from lpmsync.domain.findings import Finding
from lpmsync.domain.flow import FlowMetrics
from lpmsync.domain.model import ItemRef, Level


@dataclass(frozen=True, slots=True)
class ThemeAssignment:
    """Which themes one item serves, and why.

    `themes` are theme keys in configuration order (empty: the item serves no theme). `reason`
    says why in words a portfolio manager can check ("label `cx`", "field `Customer Experience`",
    "inherited from PORT-12"); with several themes it names each ("cx: label `cx`; data: ...").
    `reasons` holds the reason per theme key. `inherited_from` is the epic whose themes a feature
    took over when it matched none of its own.
    """

    themes: tuple[str, ...] = ()
    reason: str = "no theme matched"
    reasons: Mapping[str, str] = field(default_factory=dict)
    inherited_from: ItemRef | None = None

    @property
    def primary(self) -> str | None:
        """The first theme, or None for an item that serves no theme."""
        return self.themes[0] if self.themes else None


@dataclass(frozen=True, slots=True)
class AllocationRow:
    """One theme's share of active work against its guardrail.

    `weight` is the theme's absolute weight (item count, or summed estimates); `actual_share` is
    that weight over the weight of all active items at the allocation level. `target_share` None
    means the theme has no guardrail. `retired` themes are past their active window; `active` is
    False for retired themes and for themes whose window has not begun.
    """

    theme: str
    name: str
    target_share: float | None
    actual_share: float
    weight: float
    retired: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class WipRow:
    """How many items of one level sit in one Kanban state (optionally one value stream), against
    the configured limits. `value_stream` None is the whole portfolio."""

    state: str
    level: Level
    value_stream: str | None
    count: int
    limit: int | None = None
    min: int | None = None


@dataclass(frozen=True, slots=True)
class ItemAge:
    """An item and how long it has been in its current state.

    `since` is when it entered the state (`entered_state_at`, else the last matching transition
    in the history, else the item's last update, as `since_source` says); `days` is whole days.
    """

    source: str
    key: str
    title: str
    url: str
    level: Level
    state: str
    since: datetime
    days: int
    since_source: str = "entered_state_at"
    theme: str | None = None
    value_stream: str | None = None


@dataclass(frozen=True, slots=True)
class UnmappedItem:
    """An item whose tracker status no source mapping (or no Kanban state) knows."""

    source: str
    key: str
    status: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """The result of `lpmsync.analysis.analyse`.

    - `findings` sorted by rule, then fingerprint.
    - `assignments` holds every item's `ThemeAssignment` (items without a theme too).
    - `allocation` one row per theme, in configuration order.
    - `wip` per Kanban state (in order) and level, then one row per value-stream limit.
    - `alignment_rate` is the share of active items serving at least one active theme (1.0 when
      nothing is active); `active_count` the number of active items.
    - `oldest` maps each active state to its oldest items (oldest first).
    - `unmapped` lists items outside the Kanban (sorted by source, key).
    - `items_count` counts every item analysed, unmapped ones included.
    - `flow` holds the flow metrics and forecasts (None only where an Analysis is built by hand).
    """

    findings: tuple[Finding, ...] = ()
    assignments: Mapping[ItemRef, ThemeAssignment] = field(default_factory=dict)
    allocation: tuple[AllocationRow, ...] = ()
    wip: tuple[WipRow, ...] = ()
    alignment_rate: float = 1.0
    active_count: int = 0
    oldest: Mapping[str, tuple[ItemAge, ...]] = field(default_factory=dict)
    unmapped: tuple[UnmappedItem, ...] = ()
    items_count: int = 0
    flow: FlowMetrics | None = None
