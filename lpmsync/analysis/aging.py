"""Time in state and time since update: `aging`, `stale`, and the oldest items per state.

When an item entered its state comes from `WorkItem.entered_state_at`, else from the last
transition into its current status in the history, else from its last update (an upper bound:
the item cannot have entered its state after it was last changed).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import compress, repeat
from operator import attrgetter

from lpmsync.analysis.context import Context, days_between, describe
from lpmsync.domain.findings import Finding, JsonValue, RuleId
from lpmsync.domain.flow import FlowMetrics, StayLimit
from lpmsync.domain.model import WorkItem
from lpmsync.domain.policies import RuleConfig
from lpmsync.domain.report import ItemAge

OLDEST_PER_STATE = 10
_ENTERED_AT = attrgetter("entered_state_at")
_UPDATED = attrgetter("updated")


def entered(ctx: Context, item: WorkItem) -> tuple[datetime, str]:
    """(when the item entered its current state, where that date came from)."""
    if item.entered_state_at is not None:
        return item.entered_state_at, "entered_state_at"
    from_history = ctx.entered.get((item.source, item.key))
    if from_history is not None:
        return from_history, "history"
    return item.updated, "updated"


def aging_findings(ctx: Context, flow: FlowMetrics | None = None) -> list[Finding]:
    """Items in a state longer than its `max_age_days`, or longer than its `max_age_percentile`
    of the past stays in it (`flow.stay_limits`; none with too few samples)."""
    config = ctx.rule(RuleId.AGING)
    if config is None:
        return []
    limits = {state.name: state.max_age_days for state in ctx.policy.states}
    stay_limits = flow.stay_limits if flow is not None else {}
    findings = []
    for state in ctx.active_states(config):
        max_age = limits.get(state)
        for level in config.levels:
            stay = stay_limits.get((state, level))
            if max_age is None and (stay is None or stay.days is None):
                continue
            for item, over_days in _over(ctx, ctx.cell(state, level), max_age, stay):
                findings.append(_aging(ctx, config, item, max_age if over_days else None, stay))
    return findings


def _over(
    ctx: Context, items: Sequence[WorkItem], max_age: int | None, stay: StayLimit | None
) -> Iterator[tuple[WorkItem, bool]]:
    """The items over the day limit or the stay percentile, each with whether it is over the
    day limit. With a day limit alone the dates are compared at C level."""
    dates = _dates(ctx, items)
    # Entered before the cutoff = in the state for more than max_age days.
    cutoff = None if max_age is None else ctx.now - timedelta(days=max_age)
    if stay is None or stay.days is None:
        if cutoff is not None:
            yield from zip(compress(items, map(cutoff.__gt__, dates)), repeat(True))
        return
    for item, since in zip(items, dates, strict=True):
        over_days = cutoff is not None and since < cutoff
        if over_days or days_between(ctx.now, since) > stay.days:
            yield item, over_days


def _dates(ctx: Context, items: Sequence[WorkItem]) -> list[datetime]:
    """`entered` of each item, in order; read at C level when every item carries the date."""
    dates = list(map(_ENTERED_AT, items))
    if None in dates:
        dates = [entered(ctx, item)[0] for item in items]
    return dates


def _aging(
    ctx: Context,
    config: RuleConfig,
    item: WorkItem,
    max_age: int | None,
    stay: StayLimit | None,
) -> Finding:
    """`max_age` is set when the item is over it; else it is over the stay percentile."""
    since, since_source = entered(ctx, item)
    days = int(days_between(ctx.now, since))
    if max_age is not None:
        limit = f"over its {max_age}-day limit"
    else:
        assert stay is not None
        limit = (
            f"longer than {stay.percentile}% of the stays there in the last "
            f"{ctx.policy.flow.window_weeks} weeks ({stay.days:g} days)"
        )
    message = f"{describe(item)} has been in {item.state} for {days} days, {limit}"
    evidence: dict[str, JsonValue] = {
        "max_age_days": _configured_max_age(ctx, item.state),
        "days_in_state": days,
        "entered_state_at": since.isoformat(),
        "entered_from": since_source,
    }
    if stay is not None:
        evidence |= {
            "max_age_percentile": stay.percentile,
            "percentile_days": stay.days,
            "samples": stay.samples,
        }
    return ctx.item_finding(RuleId.AGING, config, item, message, evidence, item.state)


def _configured_max_age(ctx: Context, state: str) -> int | None:
    return next((s.max_age_days for s in ctx.policy.states if s.name == state), None)


def stale_findings(ctx: Context) -> list[Finding]:
    config = ctx.rule(RuleId.STALE)
    if config is None:
        return []
    threshold = config.stale_after_days
    cutoff = ctx.now - timedelta(days=threshold)
    findings = []
    items = ctx.selected(config)
    for item in compress(items, map(cutoff.__gt__, map(_UPDATED, items))):  # updated < cutoff
        days = int(days_between(ctx.now, item.updated))
        message = f"{describe(item)} has not been updated for {days} days (stale after {threshold})"
        evidence: dict[str, JsonValue] = {
            "stale_after_days": threshold,
            "days_since_update": days,
            "updated": item.updated.isoformat(),
        }
        findings.append(ctx.item_finding(RuleId.STALE, config, item, message, evidence))
    return findings


def oldest(ctx: Context, per_state: int = OLDEST_PER_STATE) -> dict[str, tuple[ItemAge, ...]]:
    """Each active state's longest-waiting items, oldest first (ties by source and key)."""
    result = {}
    for state in ctx.policy.active_states:
        items = ctx.in_states((state,))
        dates = _dates(ctx, items)
        if 0 < per_state < len(items):
            # Only items entered no later than the per_state-th earliest date can be first.
            last = heapq.nsmallest(per_state, dates)[-1]
            kept = list(map(last.__ge__, dates))
            items, dates = list(compress(items, kept)), list(compress(dates, kept))
        first = heapq.nsmallest(
            per_state,
            zip(dates, items, strict=True),
            key=lambda pair: (pair[0], pair[1].source, pair[1].key),
        )
        result[state] = tuple(_age(ctx, item, *entered(ctx, item)) for _, item in first)
    return result


def _age(ctx: Context, item: WorkItem, since: datetime, since_source: str) -> ItemAge:
    return ItemAge(
        source=item.source,
        key=item.key,
        title=item.title,
        url=item.url,
        level=item.level,
        state=item.state,
        since=since,
        days=max(0, int(days_between(ctx.now, since))),
        since_source=since_source,
        theme=ctx.view(item).primary,
        value_stream=item.value_stream,
    )
