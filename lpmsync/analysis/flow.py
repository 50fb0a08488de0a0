"""The SAFe flow measures, computed from stored state history and `now` (docs/report.md, `flow`).

Velocity, load, flow time, efficiency and distribution per the documented semantics, and a Monte
Carlo forecast for each epic in progress. Pure: no clock, no I/O; unmapped items take no part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from lpmsync.analysis.context import Context
from lpmsync.analysis.flow_buckets import Window
from lpmsync.analysis.flow_forecast import Forecaster, nearest_rank
from lpmsync.analysis.flow_pass import Finished, FlowPass, FlowTally
from lpmsync.analysis.themes import ThemeStatus
from lpmsync.domain.findings import RuleId
from lpmsync.domain.flow import MIN_STAYS, FlowMetrics, FlowTime, Forecast, StayLimit
from lpmsync.domain.history import as_history
from lpmsync.domain.model import Level, StateChange, WorkItem

SECONDS_PER_DAY = 86_400.0


def measure_flow(ctx: Context, history: Sequence[StateChange]) -> FlowMetrics:
    """`history`: ideally a `History` (columns); any other sequence is converted first."""
    policy = ctx.policy
    window = Window(ctx.now, policy.flow.window_weeks)
    in_kanban = [item for item in ctx.items if item.state in ctx.state_index]
    tally = FlowPass(policy, window, as_history(history)).run(in_kanban)
    states = tally.states_at_ends()
    finished = sorted(tally.finished, key=_finish_order)
    return FlowMetrics(
        window_weeks=window.weeks,
        buckets=window.starts,
        velocity={level: tuple(counts) for level, counts in tally.velocity.items()},
        load={
            level: _summed(by_state.values(), window.weeks) for level, by_state in states.items()
        },
        flow_time={level: flow_time(_of(finished, level)) for level in Level},
        efficiency={level: efficiency(_of(finished, level)) for level in Level},
        distribution=distribution(ctx),
        forecasts=forecasts(ctx, tally),
        left_out={figure: dict(counts) for figure, counts in tally.left_out.items()},
        states=states,
        finished=tuple(entry.item for entry in finished),
        stay_limits=_stay_limits(ctx, tally),
    )


def _stay_limits(ctx: Context, tally: FlowTally) -> dict[tuple[str, Level], StayLimit]:
    """Per state with `max_age_percentile` and level: that percentile of the past stays."""
    limits = {}
    for state in ctx.policy.states:
        percentile = state.max_age_percentile
        if percentile is None:
            continue
        for level in Level:
            stays = sorted(tally.stays.get((state.name, level), ()))
            days = None
            if len(stays) >= MIN_STAYS:
                days = round(nearest_rank(stays, percentile) / SECONDS_PER_DAY, 2)
            limits[(state.name, level)] = StayLimit(percentile, len(stays), days)
    return limits


def _summed(rows: Iterable[tuple[int, ...]], weeks: int) -> tuple[int, ...]:
    totals = [0] * weeks
    for row in rows:
        for index, count in enumerate(row):
            totals[index] += count
    return tuple(totals)


def _of(finished: Sequence[Finished], level: Level) -> list[Finished]:
    return [entry for entry in finished if entry.item.level is level]


def flow_time(finished: Sequence[Finished]) -> FlowTime:
    """Nearest-rank p50/p85/p95 of the flow times in days (2 decimals)."""
    if not finished:
        return FlowTime()
    days = sorted(entry.seconds / SECONDS_PER_DAY for entry in finished)
    p50, p85, p95 = (round(nearest_rank(days, percent), 2) for percent in (50, 85, 95))
    return FlowTime(len(days), p50, p85, p95)


def efficiency(finished: Sequence[Finished]) -> float | None:
    """Working time over flow time, each summed over the items first (3 decimals); None with no
    items, or when their flow times are all zero."""
    total = sum(entry.seconds for entry in finished)
    if total <= 0:
        return None
    return round(sum(entry.working_seconds for entry in finished) / total, 3)


def distribution(ctx: Context) -> dict[str, float]:
    """Each active theme's share of the active items at the allocation level, `unaligned` for
    items serving no active theme; an item with k active themes counts 1/k for each."""
    items = ctx.in_states(ctx.policy.active_states, (ctx.policy.allocation_level,))
    if not items:
        return {}
    weights = {
        key: 0.0 for key, theme in ctx.themes.items() if ctx.status[key] is ThemeStatus.ACTIVE
    }
    weights["unaligned"] = 0.0
    for item in items:
        active = ctx.view(item).active
        if not active:
            weights["unaligned"] += 1.0
            continue
        for key in active:
            weights[key] += 1.0 / len(active)
    return {key: round(weight / len(items), 3) for key, weight in weights.items()}


def forecasts(ctx: Context, tally: FlowTally) -> tuple[Forecast, ...]:
    """One forecast per epic in the `wsjf-inversion` start state with a child feature not done."""
    policy = ctx.policy
    start = policy.rule(RuleId.WSJF_INVERSION).start_state
    epics = {(epic.source, epic.key): epic for epic in ctx.cell(start, Level.EPIC)}
    remaining = _remaining(ctx, epics)
    forecaster = Forecaster(
        tally.stream_velocity,
        tally.weeks,
        trials=policy.flow.trials,
        seed=policy.flow.seed,
        now=ctx.now,
        timezone=policy.timezone,
    )
    result = []
    for key in sorted(remaining):
        epic, count = epics[key], remaining[key]
        p50, p85 = forecaster.dates(epic.value_stream, count)
        result.append(_forecast(epic, count, p50, p85, forecaster.trials))
    return tuple(result)


def _remaining(ctx: Context, epics: dict[tuple[str, str], WorkItem]) -> dict[tuple[str, str], int]:
    """Per epic of `epics`, its features not done (the epics are the portfolio's own objects,
    so they are told apart by identity without reading them)."""
    done = ctx.policy.done_state
    keys = {id(epic): key for key, epic in epics.items()}
    counts: dict[int, int] = {}
    if not keys:
        return {}
    for state in ctx.policy.states:
        if state.name == done:
            continue
        for epic in ctx.epics_in(state.name):
            if epic is not None and id(epic) in keys:
                counts[id(epic)] = counts.get(id(epic), 0) + 1
    return {keys[identity]: count for identity, count in counts.items()}


def _forecast(
    epic: WorkItem, remaining: int, p50: date | None, p85: date | None, trials: int
) -> Forecast:
    return Forecast(
        source=epic.source,
        key=epic.key,
        title=epic.title,
        url=epic.url,
        remaining=remaining,
        p50=p50,
        p85=p85,
        trials=trials,
        value_stream=epic.value_stream,
        target_date=epic.target_date,
    )


def _finish_order(entry: Finished) -> tuple[object, ...]:
    return (entry.done, entry.item.source, entry.item.key)
