"""What `/lpm` answers, as Block Kit (tracker text escaped like in alerts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from difflib import get_close_matches
from zoneinfo import ZoneInfo

from lpmsync.domain.alerts import Silence
from lpmsync.domain.findings import Finding
from lpmsync.domain.model import ItemRef, WorkItem
from lpmsync.notify.blocks import Block, context, escape, escaped, link, mention, section
from lpmsync.notify.render import rule_title
from lpmsync.services import jobs_status
from lpmsync.services.report import build_report
from lpmsync.slackapp.context import AppContext

EXPIRE_ACTION = "lpm_expire"
HELP = (
    "*`/lpm status`* sources, how fresh they are, open alerts by rule\n"
    "*`/lpm why KEY`* an item: its state and age, its theme and why, its open findings\n"
    "*`/lpm theme KEY`* a theme: allocation against target, its misaligned and aging items\n"
    "*`/lpm silences`* silences in force, each with an Expire button\n"
    "*`/lpm help`* this list\n"
    "Buttons on every alert acknowledge it (no more repeats until it changes) or snooze it."
)
_MAX_LINES = 15


def status(ctx: AppContext) -> list[Block]:
    settings, now = ctx.settings, ctx.clock()
    stale = jobs_status.stale_after(settings.schedule.sync, settings.portfolio.timezone, now)
    report = jobs_status.collect_status(ctx.store, [s.name for s in settings.sources], now, stale)
    zone = ZoneInfo(settings.portfolio.timezone)
    lines = [
        f"{'🟢' if s.fresh else '🔴'} *{escape(s.source)}*: "
        + (
            f"last synced {_local(s.last_success_at, zone)}"
            if s.last_success_at
            else "never synced"
        )
        + (f" · last run {escape(s.last_status or '')}" if s.last_status != "ok" else "")
        for s in report.sources
    ]
    alerts = [
        f"{count} × {escape(rule_title(rule))} (`{rule}`)"
        for rule, count in report.open_alerts.items()
    ]
    blocks = [section("*Sources*\n" + ("\n".join(lines) or "no sources configured"))]
    blocks.append(section("*Open alerts*\n" + ("\n".join(alerts) or "none: all clear")))
    blocks.append(context([f"{report.outbox_depth} Slack message(s) waiting to be sent"]))
    return blocks


def why(ctx: AppContext, key: str) -> list[Block]:
    report = build_report(ctx.settings, ctx.store.items, ctx.clock)
    items = ctx.store.items.load()
    item = _find_item(items, key)
    if item is None:
        return [section(_unknown("item", key, [i.key for i in items]))]
    assignment = report.analysis.assignments.get(ItemRef(item.source, item.key))
    themes = ", ".join(_theme_name(ctx, t) for t in assignment.themes) if assignment else ""
    since = item.entered_state_at
    age = f", for {(report.generated_at - since).days} days" if since else ""
    lines = [
        f"*{link(item.url, item.key)}* {escaped(item.title, 200)}",
        f"*State:* {escape(item.state)}{_status(item)}{age}",
        f"*Theme:* {escape(themes) if themes else 'none'}"
        + (f" — {escaped(assignment.reason, 300)}" if assignment else ""),
    ]
    findings = [f for f in report.analysis.findings if _about(f, item)]
    found = [f"• {escape(rule_title(f.rule))}: {escaped(f.message, 300)}" for f in findings]
    lines.append("*Open findings:* " + ("\n" + "\n".join(found) if found else "none"))
    return [section("\n".join(lines))]


def theme(ctx: AppContext, key: str) -> list[Block]:
    report = build_report(ctx.settings, ctx.store.items, ctx.clock)
    known = {t.key: t for t in ctx.settings.themes}
    if key not in known:
        return [section(_unknown("theme", key, list(known)))]
    row = next((r for r in report.analysis.allocation if r.theme == key), None)
    share = f"{row.actual_share:.0%} of active work" if row else "no active work"
    target = f" against a target of {row.target_share:.0%}" if row and row.target_share else ""
    lines = [f"*{escape(known[key].name)}* (`{escape(key)}`): {share}{target}"]
    findings = [f for f in report.analysis.findings if f.scope.theme == key and f.subject]
    lines += _finding_lines(findings) or ["No misaligned or aging items."]
    return [section("\n".join(lines))]


def silences(active: Sequence[Silence], zone: ZoneInfo) -> list[Block]:
    if not active:
        return [section("No silences in force.")]
    blocks: list[Block] = []
    for silence in active[:40]:
        scope = escape(", ".join(f"{k}={v}" for k, v in sorted(silence.matchers.items())))
        if silence.fingerprints:
            who = mention(silence.author or "") or "someone"
            scope = f"{len(silence.fingerprints)} alert(s) snoozed by {who}"
        text = (
            f"*#{silence.id}* `{escape(silence.rule)}` {scope} until "
            f"{_local(silence.until, zone)}\n{escaped(silence.comment, 300)}"
        )
        button: Block = {
            "type": "button",
            "action_id": EXPIRE_ACTION,
            "value": str(silence.id),
            "text": {"type": "plain_text", "text": "Expire"},
        }
        blocks.append({**section(text), "accessory": button})
    return blocks


def _finding_lines(findings: Sequence[Finding]) -> list[str]:
    lines = []
    for finding in findings[:_MAX_LINES]:
        subject = finding.subject
        label = f"{link(subject.url, subject.key)} " if subject else ""
        lines.append(
            f"• {label}{escape(rule_title(finding.rule))}: {escaped(finding.message, 200)}"
        )
    if len(findings) > _MAX_LINES:
        lines.append(f"…and {len(findings) - _MAX_LINES} more (`lpmsync report`)")
    return lines


def _status(item: WorkItem) -> str:
    """The tracker's own status, when it says more than the Kanban state."""
    return f" (tracker status {escape(item.status)})" if item.status != item.state else ""


def _find_item(items: Sequence[WorkItem], key: str) -> WorkItem | None:
    wanted = key.strip().upper()
    return next((i for i in items if i.key.upper() == wanted), None)


def _about(finding: Finding, item: WorkItem) -> bool:
    subject = finding.subject
    return subject is not None and (subject.source, subject.key) == (item.source, item.key)


def _unknown(kind: str, key: str, known: Sequence[str]) -> str:
    close = get_close_matches(key, known, n=1)
    hint = f" Did you mean *{escape(close[0])}*?" if close else ""
    return f"No {kind} `{escape(key)}` is known to lpmsync.{hint}"


def _theme_name(ctx: AppContext, key: str) -> str:
    names = {t.key: t.name for t in ctx.settings.themes}
    return names.get(key, key)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
