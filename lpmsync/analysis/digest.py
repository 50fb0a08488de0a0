"""The weekly digest's data: pure, from an `Analysis`, alert counts and last week's snapshot.

`digest_metrics` is what gets stored as this week's snapshot; `build_digest` reads the same
shape back as `previous` to compute week-over-week deltas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import fsum

from lpmsync.analysis.flow_digest import flow_headlines
from lpmsync.domain.digest import AllocationLine, Digest, DigestItem, Headline, Unit, WipLine
from lpmsync.domain.findings import JsonValue, RuleId
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import Analysis, ItemAge, WipRow

WEEK = timedelta(days=7)
Snapshot = tuple[datetime, Mapping[str, JsonValue]]


@dataclass(frozen=True, slots=True)
class AlertCounts:
    """Alert activity for the digest's week, and what is firing now."""

    opened: int = 0
    resolved: int = 0
    open: int = 0


def build_digest(
    analysis: Analysis,
    policy: PortfolioPolicy,
    *,
    now: datetime,
    alerts: AlertCounts,
    previous: Snapshot | None = None,
    top_n: int = 5,
    history: Sequence[Snapshot] = (),
) -> Digest:
    """The digest for the week ending `now`; deltas against `previous` when given, and the
    allocation trend from `history` (earlier weekly snapshots, oldest first)."""
    before = previous[1] if previous else {}
    unaligned = _unaligned(analysis)
    active = set(policy.active_states)  # Funnel and Done are queues, not work in progress
    wip = _wip(tuple(row for row in analysis.wip if row.state in active), _section(before, "wip"))
    trends = [_section(snapshot, "allocation") for _, snapshot in history[-4:]]
    headlines = _headlines(analysis, alerts, len(unaligned), wip, _section(before, "headlines"))
    headlines += flow_headlines(analysis.flow, _section(before, "headlines"))  # flow_digest.py
    return Digest(
        portfolio=policy.name,
        taken_at=now,
        period_start=now - WEEK,
        headlines=headlines,
        wip=wip,
        allocation=_allocation(analysis, policy, _section(before, "allocation"), trends),
        aging=_oldest(analysis, top_n),
        unaligned=tuple(unaligned[:top_n]),
        unaligned_total=len(unaligned),
        unmapped=analysis.unmapped,
        previous_at=previous[0] if previous else None,
        aging_limits={s.name: s.max_age_days for s in policy.states if s.max_age_days},
        flow=analysis.flow,
    )


def _headlines(
    analysis: Analysis,
    alerts: AlertCounts,
    unaligned: int,
    wip: tuple[WipLine, ...],
    past: Mapping[str, JsonValue],
) -> tuple[Headline, ...]:
    values = {
        "active_items": (float(analysis.active_count), "Active items", Unit.COUNT),
        "alignment_rate": (analysis.alignment_rate, "Alignment rate", Unit.RATE),
        "unaligned": (float(unaligned), "Unaligned items", Unit.COUNT),
        "wip_breaches": (float(sum(line.over for line in wip)), "WIP limits exceeded", Unit.COUNT),
        "alerts_opened": (float(alerts.opened), "Alerts opened this week", Unit.COUNT),
        "alerts_resolved": (float(alerts.resolved), "Alerts resolved this week", Unit.COUNT),
        "open_alerts": (float(alerts.open), "Alerts firing now", Unit.COUNT),
        "unmapped": (float(len(analysis.unmapped)), "Unmapped statuses", Unit.COUNT),
    }
    return tuple(
        Headline(key, label, value, _number(past.get(key)), unit)
        for key, (value, label, unit) in values.items()
    )


def digest_metrics(digest: Digest) -> dict[str, JsonValue]:
    """The numbers to remember for next week's deltas (JSON-ready)."""
    headlines: dict[str, JsonValue] = {line.key: line.value for line in digest.headlines}
    wip: dict[str, JsonValue] = {line.key: line.count for line in digest.wip}
    allocation: dict[str, JsonValue] = {line.theme: line.actual_share for line in digest.allocation}
    return {"headlines": headlines, "wip": wip, "allocation": allocation}


def _section(metrics: Mapping[str, JsonValue], name: str) -> Mapping[str, JsonValue]:
    value = metrics.get(name)
    return value if isinstance(value, dict) else {}


def _number(value: JsonValue) -> float | None:
    # bool is an int: a malformed snapshot must not turn True into a delta of 1.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _wip(rows: tuple[WipRow, ...], before: Mapping[str, JsonValue]) -> tuple[WipLine, ...]:
    lines = []
    for row in rows:
        if row.count == 0 and row.limit is None and row.min is None:
            continue  # an empty state without limits says nothing
        line = WipLine(row.state, row.level, row.value_stream, row.count, row.limit, row.min)
        previous = _number(before.get(line.key))
        lines.append(line if previous is None else replace(line, previous=int(previous)))
    return tuple(lines)


UNALIGNED_KEY = "unaligned"


def _allocation(
    analysis: Analysis,
    policy: PortfolioPolicy,
    before: Mapping[str, JsonValue],
    trends: Sequence[Mapping[str, JsonValue]],
) -> tuple[AllocationLine, ...]:
    tolerance = policy.rule(RuleId.ALLOCATION_DRIFT).tolerance
    lines = [
        AllocationLine(
            theme=row.theme,
            name=row.name,
            actual_share=row.actual_share,
            target_share=row.target_share,
            tolerance=tolerance,
            previous_share=_number(before.get(row.theme)),
            retired=row.retired,
            trend=_trend(trends, row.theme),
        )
        for row in analysis.allocation
        if row.active or row.weight > 0
    ]
    if any(row.weight > 0 for row in analysis.allocation):
        # Each item's weight is split between its themes, so what no theme holds is unaligned.
        share = max(0.0, 1.0 - fsum(row.actual_share for row in analysis.allocation))
        lines.append(
            AllocationLine(
                theme=UNALIGNED_KEY,
                name="Unaligned (no theme)",
                actual_share=share,
                previous_share=_number(before.get(UNALIGNED_KEY)),
                unaligned=True,
                trend=_trend(trends, UNALIGNED_KEY),
            )
        )
    return tuple(lines)


def _trend(trends: Sequence[Mapping[str, JsonValue]], theme: str) -> tuple[float, ...]:
    values = (_number(week.get(theme)) for week in trends)
    return tuple(value for value in values if value is not None)


def _unaligned(analysis: Analysis) -> list[DigestItem]:
    items = [
        DigestItem(s.source, s.key, s.title, s.url, f.scope.state or "", f.scope.theme)
        for f in analysis.findings
        if f.rule == RuleId.UNALIGNED and (s := f.subject) is not None
    ]
    return sorted(items, key=lambda item: (item.source, item.key))


def _oldest(analysis: Analysis, top_n: int) -> tuple[ItemAge, ...]:
    ages = [age for per_state in analysis.oldest.values() for age in per_state]
    ages.sort(key=lambda age: (-age.days, age.source, age.key))
    return tuple(ages[:top_n])
