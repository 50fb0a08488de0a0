"""`forecast-risk`: an epic in progress whose 85% forecast falls after its target date.

Only epics with a forecast (see `flow.forecasts`) and a target date (the tracker's due-date
field, configurable per source) are looked at; an epic without feature velocity has no p85 and
raises no finding here (the report shows its forecast as unknown).
"""

from __future__ import annotations

from datetime import date

from lpmsync.analysis.context import Context, describe
from lpmsync.domain.findings import Finding, JsonValue, RuleId
from lpmsync.domain.flow import FlowMetrics


def forecast_risk_findings(ctx: Context, flow: FlowMetrics) -> list[Finding]:
    config = ctx.rule(RuleId.FORECAST_RISK)
    if config is None:
        return []
    findings = []
    for forecast in flow.forecasts:
        target, p85 = forecast.target_date, forecast.p85
        if target is None or p85 is None or p85 <= target:
            continue
        epic = ctx.by_key.get((forecast.source, forecast.key))
        if epic is None:
            continue
        message = (
            f"{describe(epic)} is 85% likely done by {_day(p85)}, after its target date "
            f"{_day(target)} ({forecast.remaining} features to go)"
        )
        evidence: dict[str, JsonValue] = {
            "remaining": forecast.remaining,
            "p50": None if forecast.p50 is None else forecast.p50.isoformat(),
            "p85": p85.isoformat(),
            "target_date": target.isoformat(),
            "days_late": (p85 - target).days,
            "trials": forecast.trials,
        }
        findings.append(ctx.item_finding(RuleId.FORECAST_RISK, config, epic, message, evidence))
    return findings


def _day(value: date) -> str:
    """'12 Mar 2027': unambiguous in every locale."""
    return f"{value.day} {value:%b %Y}"
