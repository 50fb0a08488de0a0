"""The App Home tab: the portfolio at a glance for whoever opens it, rebuilt on every open."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lpmsync.domain.alerts import AlertState
from lpmsync.domain.model import WorkItem
from lpmsync.domain.report import Analysis
from lpmsync.notify.blocks import Block, context, divider, escape, escaped, header, link, section
from lpmsync.notify.render import rule_title
from lpmsync.services.report import build_report
from lpmsync.slackapp.context import AppContext

MAX_HOME_BLOCKS = 100
_PER_RULE = 3
_OWNED = 15


def home_view(ctx: AppContext, viewer: str) -> dict[str, Any]:
    report = build_report(ctx.settings, ctx.store.items, ctx.clock)
    analysis = report.analysis
    blocks: list[Block] = [
        header(f"📊 {ctx.settings.portfolio.name}"),
        context([f"Refreshed {report.generated_at:%Y-%m-%d %H:%M} UTC · `/lpm help` for more"]),
        section(
            f"*Alignment:* {analysis.alignment_rate:.0%} of {analysis.active_count} "
            "active items serve an active theme"
        ),
        section("*Allocation against target*\n" + _allocation(analysis)),
        section("*WIP against limits*\n" + _wip(analysis)),
        divider(),
        *_alerts(ctx.store.alerts.load_open()),
        divider(),
        section("*Your items*\n" + _owned(ctx.store.items.load(), ctx.people, viewer)),
    ]
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _allocation(analysis: Analysis) -> str:
    lines = []
    for row in analysis.allocation:
        if not row.active and not row.actual_share:
            continue
        target = f" (target {row.target_share:.0%})" if row.target_share is not None else ""
        lines.append(f"{escape(row.name)}: {row.actual_share:.0%}{target}")
    return "\n".join(lines) or "no active work"


def _wip(analysis: Analysis) -> str:
    lines = []
    for row in analysis.wip:
        if row.limit is None and row.min is None:
            continue
        over = row.limit is not None and row.count > row.limit
        mark = "🔴" if over else "🟢"
        limit = f"/{row.limit}" if row.limit is not None else f" (min {row.min})"
        stream = f" · {escape(row.value_stream)}" if row.value_stream else ""
        lines.append(f"{mark} {escape(row.state)} {row.level.value}s{stream}: {row.count}{limit}")
    return "\n".join(lines) or "no WIP limits configured"


def _alerts(open_alerts: Sequence[AlertState]) -> list[Block]:
    """Rules ordered by their newest alert; in each, the newest first."""
    by_rule: dict[str, list[AlertState]] = {}
    for state in sorted(open_alerts, key=lambda s: s.first_seen, reverse=True):
        by_rule.setdefault(state.rule, []).append(state)
    if not by_rule:
        return [section("*Open alerts*\nnone: all clear")]
    blocks = [section(f"*Open alerts* ({len(open_alerts)})")]
    for rule, states in by_rule.items():
        lines = [f"*{escape(rule_title(rule))}* · {len(states)}"]
        lines += [f"• {_label(s)}" for s in states[:_PER_RULE]]
        if len(states) > _PER_RULE:
            lines.append(f"…and {len(states) - _PER_RULE} more")
        blocks.append(section("\n".join(lines)))
    return blocks[:40]


def _label(state: AlertState) -> str:
    finding = state.finding
    ack = " ✓ acknowledged" if state.acknowledged_at else ""
    if finding.subject is None:
        return escaped(finding.message, 200) + ack
    subject = finding.subject
    return f"{link(subject.url, subject.key)} {escaped(finding.message, 200)}{ack}"


def _owned(items: Sequence[WorkItem], people: Mapping[str, str], viewer: str) -> str:
    """Items whose tracker owner maps to the viewer (the `people` mapping)."""
    owners = {owner for owner, slack_id in people.items() if slack_id == viewer}
    mine = [i for i in items if i.owner and {i.owner, i.owner.lower()} & owners] if owners else []
    if not mine:
        return (
            "None found. lpmsync knows you from the `people.slack_ids` mapping in its config: "
            "ask the operator to add your tracker name or email there."
        )
    lines = [f"• {link(i.url, i.key)} {escaped(i.title, 120)} · {escape(i.state)}" for i in mine]
    more = f"\n…and {len(mine) - _OWNED} more" if len(mine) > _OWNED else ""
    return "\n".join(lines[:_OWNED]) + more
