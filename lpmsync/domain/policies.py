"""The portfolio's strategy and rules, as the analysis consumes them (built from settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from lpmsync.domain.findings import Severity
from lpmsync.domain.flow import FlowPolicy
from lpmsync.domain.model import Level


class MatchKind(StrEnum):
    """What a theme match rule looks at. `label` and `tag` both look at `WorkItem.labels`
    (Jira labels, Azure DevOps tags)."""

    FIELD = "field"
    LABEL = "label"
    TAG = "tag"
    COMPONENT = "component"
    AREA_PATH = "area_path"
    PARENT = "parent"
    TITLE_REGEX = "title_regex"


@dataclass(frozen=True, slots=True)
class MatchRule:
    kind: MatchKind
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Theme:
    """A strategic theme. `target_share` is its guardrail (None: no guardrail). A theme is active
    from `active_from` through `active_until`, both inclusive; past that it is retired."""

    key: str
    name: str
    owner: str | None = None
    target_share: float | None = None
    active_from: date | None = None
    active_until: date | None = None
    match: tuple[MatchRule, ...] = ()


@dataclass(frozen=True, slots=True)
class WipLimit:
    """Limits for one level in one state, optionally narrowed to one value stream."""

    level: Level
    max: int | None = None
    min: int | None = None
    value_stream: str | None = None


@dataclass(frozen=True, slots=True)
class KanbanState:
    name: str
    limits: tuple[WipLimit, ...] = ()
    max_age_days: int | None = None
    max_age_percentile: int | None = None  # aging against the state's history in the flow window


class Weighting(StrEnum):
    COUNT = "count"
    ESTIMATE = "estimate"


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """How one rule is tuned. Not every field matters to every rule."""

    enabled: bool = True
    severity: Severity = Severity.WARNING
    active_states: tuple[str, ...] | None = None  # None: the portfolio's active states
    levels: tuple[Level, ...] = (Level.EPIC, Level.FEATURE)
    tolerance: float = 0.10  # allocation-drift: allowed distance from target share
    weighting: Weighting = Weighting.COUNT  # allocation-drift
    stale_after_days: int = 30  # stale
    start_state: str = "Implementing"  # premature-start, wsjf-inversion: the "doing" state
    approved_state: str = "Analyzing"  # premature-start: the epic must be past this state
    waiting_state: str = "Ready"  # wsjf-inversion


@dataclass(frozen=True, slots=True)
class PortfolioPolicy:
    """Everything the pure analysis needs to know about the organisation's intent.

    `states` are in Kanban order: the first is the funnel, the last is done, the ones between are
    active unless a rule narrows them.
    """

    name: str
    timezone: str
    states: tuple[KanbanState, ...]
    themes: tuple[Theme, ...] = ()
    value_streams: tuple[str, ...] = ()
    rules: Mapping[str, RuleConfig] = field(default_factory=dict)
    allocation_level: Level = Level.EPIC
    flow: FlowPolicy = field(default_factory=FlowPolicy)

    @property
    def active_states(self) -> tuple[str, ...]:
        return tuple(state.name for state in self.states[1:-1])

    @property
    def done_state(self) -> str:
        return self.states[-1].name

    def rule(self, rule_id: str) -> RuleConfig:
        return self.rules.get(rule_id, RuleConfig())
