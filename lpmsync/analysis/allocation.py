"""Guardrails: each theme's share of active work against its target, and `allocation-drift`.

Shares are measured over the active items of the policy's allocation level, by count or by
estimate (items without an estimate then weigh 0). An item serving several themes splits its
weight evenly between them, so the themes' shares plus the unaligned share add up to 1. A theme
without a target share has no guardrail; a theme outside its window is not checked (a retired
one is `retired-theme`'s business).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import fsum

from lpmsync.analysis.context import Context, keys
from lpmsync.analysis.themes import ThemeStatus
from lpmsync.domain.findings import Finding, JsonValue, RuleId, Scope
from lpmsync.domain.model import WorkItem
from lpmsync.domain.policies import RuleConfig, Weighting
from lpmsync.domain.report import AllocationRow

_EPSILON = 1e-9  # a share exactly at target ± tolerance is inside, whatever the float rounding


@dataclass(frozen=True, slots=True)
class _Weights:
    items: Sequence[WorkItem]
    per_theme: dict[str, float]
    served: dict[str, int]  # how many items serve each theme
    total: float
    missing_estimate: Sequence[WorkItem]


def _weigh(ctx: Context, config: RuleConfig) -> _Weights:
    items = ctx.in_states(ctx.active_states(config), (ctx.policy.allocation_level,))
    by_estimate = config.weighting is Weighting.ESTIMATE
    parts: dict[str, list[float]] = {}
    weights: list[float] = []
    missing: list[WorkItem] = []
    for item in items:
        weight = 1.0
        if by_estimate:
            weight = item.estimate or 0.0
            if item.estimate is None:
                missing.append(item)
        weights.append(weight)
        themes = ctx.assignment(item).themes
        for key in themes:
            parts.setdefault(key, []).append(weight / len(themes))
    # fsum is exact, so the shares do not depend on the order of the items.
    return _Weights(
        items=items,
        per_theme={key: fsum(values) for key, values in parts.items()},
        served={key: len(values) for key, values in parts.items()},
        total=fsum(weights),
        missing_estimate=missing,
    )


def measure_allocation(ctx: Context) -> tuple[list[AllocationRow], list[Finding]]:
    """One row per theme (configuration order) and the `allocation-drift` findings."""
    config = ctx.policy.rule(RuleId.ALLOCATION_DRIFT)
    weights = _weigh(ctx, config)
    rows = [
        AllocationRow(
            theme=theme.key,
            name=theme.name,
            target_share=theme.target_share,
            actual_share=_share(weights, theme.key),
            weight=weights.per_theme.get(theme.key, 0.0),
            retired=ctx.status[theme.key] is ThemeStatus.RETIRED,
            active=ctx.status[theme.key] is ThemeStatus.ACTIVE,
        )
        for theme in ctx.policy.themes
    ]
    if not config.enabled or weights.total <= 0:
        return rows, []
    findings = [
        _finding(ctx, config, row, weights)
        for row in rows
        if row.active
        and row.target_share is not None
        and abs(row.actual_share - row.target_share) > config.tolerance + _EPSILON
    ]
    return rows, findings


def _share(weights: _Weights, theme: str) -> float:
    return weights.per_theme.get(theme, 0.0) / weights.total if weights.total > 0 else 0.0


def _finding(ctx: Context, config: RuleConfig, row: AllocationRow, weights: _Weights) -> Finding:
    target = row.target_share or 0.0
    level = ctx.policy.allocation_level
    direction = "over" if row.actual_share > target else "under"
    message = (
        f"Theme {row.theme} holds {row.actual_share:.0%} of active {level.value} work "
        f"({config.weighting.value}), target {target:.0%} ± {config.tolerance:.0%}"
    )
    evidence: dict[str, JsonValue] = {
        "theme": row.theme,
        "name": row.name,
        "target_share": target,
        "actual_share": round(row.actual_share, 4),
        "tolerance": config.tolerance,
        "direction": direction,
        "weighting": config.weighting.value,
        "level": level.value,
        "theme_weight": row.weight,
        "total_weight": weights.total,
        "theme_items": weights.served.get(row.theme, 0),
        "active_items": len(weights.items),
    }
    if config.weighting is Weighting.ESTIMATE:
        evidence["missing_estimate_count"] = len(weights.missing_estimate)
        evidence["missing_estimate"] = keys(weights.missing_estimate)
    scope = Scope(level=level, theme=row.theme)
    return ctx.scope_finding(RuleId.ALLOCATION_DRIFT, config, scope, message, evidence)
