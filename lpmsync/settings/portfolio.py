"""`portfolio`, `themes` and `rules` sections."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator, model_validator

from lpmsync.domain.findings import RuleId, Severity
from lpmsync.domain.model import UNMAPPED, Level
from lpmsync.domain.policies import Weighting
from lpmsync.settings.base import StrictModel, empty_list

LevelLimits = int | dict[Level, int]
"""A bare number limits epics (the portfolio Kanban holds epics); a mapping names levels."""


def _per_level(limits: LevelLimits | None) -> dict[Level, int]:
    if limits is None:
        return {}
    return {Level.EPIC: limits} if isinstance(limits, int) else dict(limits)


def _bound_problems(wip_limit: LevelLimits | None, minimum: LevelLimits | None) -> list[str]:
    """A minimum above the limit can never be met: every count breaks one of them."""
    limits, minimums = _per_level(wip_limit), _per_level(minimum)
    return [
        f"min {minimums[level]} is above wip_limit {limits[level]} for {level.value}s; "
        "expected min ≤ wip_limit"
        for level in Level
        if level in limits and level in minimums and minimums[level] > limits[level]
    ]


class ValueStreamLimits(StrictModel):
    wip_limit: LevelLimits | None = None
    min: LevelLimits | None = None

    @model_validator(mode="after")
    def _min_below_limit(self) -> ValueStreamLimits:
        problems = _bound_problems(self.wip_limit, self.min)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class StateConfig(StrictModel):
    name: str = Field(min_length=1)
    wip_limit: LevelLimits | None = None
    min: LevelLimits | None = None
    max_age_days: int | None = Field(default=None, gt=0)
    # Aging against history: older than this percentile of past times in the state (flow window).
    max_age_percentile: int | None = Field(default=None, ge=1, le=100)
    value_streams: dict[str, ValueStreamLimits] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name.lower() == UNMAPPED:
            raise ValueError(f"{name!r} is reserved for statuses no mapping knows")
        return name

    @model_validator(mode="after")
    def _min_below_limit(self) -> StateConfig:
        problems = _bound_problems(self.wip_limit, self.min)
        if problems:
            raise ValueError(f"state {self.name!r}: " + "; ".join(problems))
        return self


DEFAULT_STATES = [
    StateConfig(name=name)
    for name in ("Funnel", "Reviewing", "Analyzing", "Ready", "Implementing", "Done")
]


class PortfolioConfig(StrictModel):
    name: str = Field(min_length=1)
    timezone: str = "UTC"
    states: list[StateConfig] = Field(default_factory=lambda: list(DEFAULT_STATES), min_length=3)
    value_streams: list[str] = Field(default_factory=empty_list)
    allocation_level: Level = Level.EPIC

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            from difflib import get_close_matches  # noqa: PLC0415 (only on the error path)

            close = get_close_matches(zone, sorted(available_timezones()), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown time zone {zone!r}{hint}; expected an IANA name") from None
        return zone

    @model_validator(mode="after")
    def _unique_states(self) -> PortfolioConfig:
        names = [state.name for state in self.states]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate Kanban state {duplicates[0]!r} in portfolio.states")
        return self

    @property
    def state_names(self) -> list[str]:
        return [state.name for state in self.states]


MatchKey = Literal["field", "labels", "tags", "components", "area_paths", "parents", "title_regex"]


class ThemeConfig(StrictModel):
    key: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1)
    owner: str | None = None  # Slack user (U...) or user group (S...) id
    target_share: float | None = Field(default=None, ge=0.0, le=1.0)
    active_from: date | None = None
    active_until: date | None = None
    # Kept in YAML order: after explicit field values, earlier rules win.
    match: dict[MatchKey, list[str]] = Field(default_factory=dict)

    @field_validator("match", mode="before")
    @classmethod
    def _scalars_to_lists(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _valid(self) -> ThemeConfig:
        for pattern in self.match.get("title_regex", []):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"match.title_regex {pattern!r} is not a valid regex: {exc}"
                ) from None
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError("active_until is before active_from")
        return self


class RuleSettings(StrictModel):
    enabled: bool = True
    severity: Severity | None = None
    active_states: list[str] | None = None
    levels: list[Level] | None = None
    tolerance: float | None = Field(default=None, ge=0.0, le=1.0)
    weighting: Weighting | None = None
    stale_after_days: int | None = Field(default=None, gt=0)
    start_state: str | None = None
    approved_state: str | None = None
    waiting_state: str | None = None

    def named_states(self) -> list[tuple[str, str]]:
        """(key, state) pairs this rule refers to, to check them against the Kanban."""
        pairs = [("active_states", s) for s in self.active_states or []]
        for key in ("start_state", "approved_state", "waiting_state"):
            value = getattr(self, key)
            if value is not None:
                pairs.append((key, value))
        return pairs


RULE_IDS = [rule.value for rule in RuleId]
