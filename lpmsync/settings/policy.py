"""Translate validated settings into the pure domain policy the analysis consumes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lpmsync.domain.findings import RuleId, Severity
from lpmsync.domain.model import Level
from lpmsync.domain.policies import (
    KanbanState,
    MatchKind,
    MatchRule,
    PortfolioPolicy,
    RuleConfig,
    Theme,
    WipLimit,
)
from lpmsync.settings.flow import to_flow_policy
from lpmsync.settings.model import Settings
from lpmsync.settings.portfolio import LevelLimits, RuleSettings, StateConfig, ThemeConfig

DEFAULT_SEVERITY: dict[str, Severity] = {
    RuleId.UNALIGNED: Severity.WARNING,
    RuleId.RETIRED_THEME: Severity.WARNING,
    RuleId.THEME_MISMATCH: Severity.WARNING,
    RuleId.ORPHAN_FEATURE: Severity.INFO,
    RuleId.PREMATURE_START: Severity.CRITICAL,
    RuleId.ALLOCATION_DRIFT: Severity.WARNING,
    RuleId.WIP_BREACH: Severity.CRITICAL,
    RuleId.WIP_STARVED: Severity.INFO,
    RuleId.AGING: Severity.WARNING,
    RuleId.STALE: Severity.INFO,
    RuleId.WSJF_INVERSION: Severity.WARNING,
    RuleId.FORECAST_RISK: Severity.WARNING,
}

_MATCH_KINDS = {
    "field": MatchKind.FIELD,
    "labels": MatchKind.LABEL,
    "tags": MatchKind.TAG,
    "components": MatchKind.COMPONENT,
    "area_paths": MatchKind.AREA_PATH,
    "parents": MatchKind.PARENT,
    "title_regex": MatchKind.TITLE_REGEX,
}


def to_policy(settings: Settings) -> PortfolioPolicy:
    portfolio = settings.portfolio
    return PortfolioPolicy(
        name=portfolio.name,
        timezone=portfolio.timezone,
        states=tuple(_state(state) for state in portfolio.states),
        themes=tuple(_theme(theme) for theme in settings.themes),
        value_streams=tuple(portfolio.value_streams),
        rules={rule.value: _rule(rule.value, settings.rules.get(rule.value)) for rule in RuleId},
        allocation_level=portfolio.allocation_level,
        flow=to_flow_policy(settings.flow, settings.sources, portfolio.state_names),
    )


def _levels(limits: LevelLimits | None) -> dict[Level, int]:
    if limits is None:
        return {}
    return {Level.EPIC: limits} if isinstance(limits, int) else dict(limits)


def _limits(
    maxima: LevelLimits | None, minima: LevelLimits | None, value_stream: str | None
) -> list[WipLimit]:
    max_by_level, min_by_level = _levels(maxima), _levels(minima)
    return [
        WipLimit(level, max_by_level.get(level), min_by_level.get(level), value_stream)
        for level in Level
        if level in max_by_level or level in min_by_level
    ]


def _state(state: StateConfig) -> KanbanState:
    limits = _limits(state.wip_limit, state.min, None)
    for stream, stream_limits in sorted(state.value_streams.items()):
        limits += _limits(stream_limits.wip_limit, stream_limits.min, stream)
    return KanbanState(state.name, tuple(limits), state.max_age_days, state.max_age_percentile)


def _theme(theme: ThemeConfig) -> Theme:
    return Theme(
        key=theme.key,
        name=theme.name,
        owner=theme.owner,
        target_share=theme.target_share,
        active_from=theme.active_from,
        active_until=theme.active_until,
        match=tuple(
            MatchRule(_MATCH_KINDS[kind], tuple(values)) for kind, values in theme.match.items()
        ),
    )


def _rule(rule_id: str, configured: RuleSettings | None) -> RuleConfig:
    rule = RuleConfig(severity=DEFAULT_SEVERITY[rule_id])
    if configured is None:
        return rule
    overrides: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in configured.model_dump(exclude_none=True).items()
    }
    return replace(rule, **overrides)
