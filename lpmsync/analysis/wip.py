"""Portfolio Kanban WIP: counts per state and level (and per value stream where a limit names
one), and the `wip-breach` / `wip-starved` checks against them.

Only items in a Kanban state count; unmapped items count nowhere. The WIP rules look at every
state that has limits, unless `active_states` in their configuration narrows them.
"""

from __future__ import annotations

from collections.abc import Sequence

from lpmsync.analysis.context import Context, keys
from lpmsync.domain.findings import Finding, JsonValue, RuleId, Scope
from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.policies import RuleConfig
from lpmsync.domain.report import WipRow


def wip_rows(ctx: Context) -> list[WipRow]:
    """Per state (Kanban order) one row per level, then one row per value-stream limit."""
    rows: list[WipRow] = []
    for state in ctx.policy.states:
        overall = {limit.level: limit for limit in state.limits if limit.value_stream is None}
        for level in Level:
            limit = overall.get(level)
            count = len(ctx.cell(state.name, level))
            rows.append(
                WipRow(
                    state.name,
                    level,
                    None,
                    count,
                    limit.max if limit is not None else None,
                    limit.min if limit is not None else None,
                )
            )
        rows += [
            WipRow(
                state.name,
                limit.level,
                limit.value_stream,
                len(_members(ctx, state.name, limit.level, limit.value_stream)),
                limit.max,
                limit.min,
            )
            for limit in state.limits
            if limit.value_stream is not None
        ]
    return rows


def _members(
    ctx: Context, state: str, level: Level, value_stream: str | None
) -> Sequence[WorkItem]:
    cell = ctx.cell(state, level)
    if value_stream is None:
        return cell
    return [item for item in cell if item.value_stream == value_stream]


def wip_findings(ctx: Context, rows: Sequence[WipRow]) -> list[Finding]:
    findings: list[Finding] = []
    breach = ctx.rule(RuleId.WIP_BREACH)
    if breach is not None:
        findings += [
            _finding(ctx, RuleId.WIP_BREACH, breach, row, row.limit)
            for row in rows
            if row.limit is not None and row.count > row.limit and _watched(breach, row)
        ]
    starved = ctx.rule(RuleId.WIP_STARVED)
    if starved is not None:
        findings += [
            _finding(ctx, RuleId.WIP_STARVED, starved, row, row.min)
            for row in rows
            if row.min is not None and row.count < row.min and _watched(starved, row)
        ]
    return findings


def _watched(config: RuleConfig, row: WipRow) -> bool:
    states = config.active_states
    return row.level in config.levels and (states is None or row.state in states)


def _finding(ctx: Context, rule: RuleId, config: RuleConfig, row: WipRow, bound: int) -> Finding:
    where = row.state if row.value_stream is None else f"{row.state} ({row.value_stream})"
    what = f"{row.count} {row.level.value}{'' if row.count == 1 else 's'}"
    over = rule is RuleId.WIP_BREACH
    relation = f"over its limit of {bound}" if over else f"under its minimum of {bound}"
    members = _members(ctx, row.state, row.level, row.value_stream)
    evidence: dict[str, JsonValue] = {
        "state": row.state,
        "level": row.level.value,
        "value_stream": row.value_stream,
        "count": row.count,
        ("limit" if over else "min"): bound,
        ("over_by" if over else "under_by"): abs(row.count - bound),
        "items": keys(members),
    }
    return ctx.scope_finding(
        rule,
        config,
        Scope(state=row.state, level=row.level, value_stream=row.value_stream),
        f"{where} holds {what}, {relation}",
        evidence,
    )
