"""The weekly digest → Slack messages (Block Kit, parts when long). Pure: stdlib and domain only.

Tracker text (titles, keys, statuses, theme names from config) is escaped like in alerts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lpmsync.domain.digest import AllocationLine, Digest, DigestItem, Headline, Unit, WipLine
from lpmsync.domain.notices import RenderedMessage
from lpmsync.domain.report import ItemAge, UnmappedItem
from lpmsync.notify.blocks import (
    Block,
    context,
    escape,
    escaped,
    fields_section,
    link,
    section,
    split_message,
)
from lpmsync.notify.render_banner import stale_banner, stale_fallback
from lpmsync.notify.render_flow import flow_blocks

LINES_PER_SECTION = 10
MAX_HYGIENE_LINES = 500  # beyond this the list is noise; `lpmsync report` has them all
_SECTION_BUDGET = 2900
_TITLE_LIMIT = 120


def render_digest(digest: Digest, *, charts: bool = True) -> list[RenderedMessage]:
    """The digest as one message, or numbered parts when it exceeds Slack's block limits."""
    title = f"📊 Weekly portfolio digest: {digest.portfolio}"
    lead: list[Block] = [
        *stale_banner(digest),  # before any number: they may be partial
        context([_period(digest)]),
        fields_section(_headline_cells(digest)),
    ]
    if digest.actions_summary:  # from the audit trail (lpmsync.domain.audit.audit_summary)
        lead.append(context([escape(digest.actions_summary)]))
    body = [
        *_lines_block("*WIP against limits*", [_wip_line(line) for line in digest.wip]),
        *_lines_block(
            "*Allocation against target*", [_allocation_line(a) for a in digest.allocation]
        ),
        *_lines_block(
            "*Longest in their state*",
            [_age_line(age, digest.aging_limits) for age in digest.aging],
        ),
        *_lines_block(_unaligned_heading(digest), [_item_line(i) for i in digest.unaligned]),
        *_lines_block(_hygiene_heading(digest), _hygiene_lines(digest.unmapped)),
        *flow_blocks(digest, charts=charts),  # forecasts: lpmsync/notify/render_flow.py
    ]
    if charts:
        body.append([context(["📈 Charts: allocation, WIP and aging are in the thread."])])
    headline = ", ".join(_fallback_part(h) for h in digest.headlines[:4])
    fallback = escape(
        f"{stale_fallback(digest)}Weekly portfolio digest: {digest.portfolio} — {headline}"
    )
    return split_message(title, lead, body, fallback)


def _period(digest: Digest) -> str:
    week = f"Week {digest.iso_week} · {digest.period_start:%Y-%m-%d} → {digest.taken_at:%Y-%m-%d}"
    if digest.previous_at is None:
        return f"{week} · no earlier snapshot yet, so no week-over-week changes"
    return f"{week} · changes since {digest.previous_at:%Y-%m-%d}"


def _headline_cells(digest: Digest) -> list[str]:
    return [f"*{escape(h.label)}*\n{_value(h)}{_delta(h)}" for h in digest.headlines[:10]]


def _value(headline: Headline) -> str:
    if headline.unit is Unit.RATE:
        return f"{headline.value:.0%}"
    return f"{headline.value:g}"


def _delta(headline: Headline) -> str:
    delta = headline.delta
    if delta is None:
        return ""
    if headline.unit is Unit.RATE:
        return f"  {_arrow(delta * 100)} pts"
    return f"  {_arrow(delta)}"


def _arrow(delta: float) -> str:
    if round(delta, 1) == 0:
        return "±0"
    return f"▲{delta:g}" if delta > 0 else f"▼{-delta:g}"


def _fallback_part(headline: Headline) -> str:
    return f"{headline.label}: {_value(headline)}"


def _wip_line(line: WipLine) -> str:
    icon = "🔴 Over limit ·" if line.over else "🔵 Under minimum ·" if line.under else "🟢 OK ·"
    where = " · ".join(p for p in (line.state, line.level.value, line.value_stream) if p)
    limits = [f"limit {line.limit}"] if line.limit is not None else []
    if line.min is not None:
        limits.append(f"min {line.min}")
    bounds = f" ({', '.join(limits)})" if limits else ""
    change = "" if line.previous is None else f"  {_arrow(line.count - line.previous)}"
    return f"{icon} {escape(where)}: *{line.count}*{bounds}{change}"


def _allocation_line(line: AllocationLine) -> str:
    icon = _allocation_status(line)
    target = (
        f" (target {line.target_share:.0%} ± {line.tolerance:.0%})"
        if line.target_share is not None and not line.retired
        else ""
    )
    retired = ""
    change = ""
    if line.previous_share is not None:
        change = f"  {_arrow(round((line.actual_share - line.previous_share) * 100, 1))} pts"
    name = escaped(line.name, 100)
    return f"{icon} {name}: *{line.actual_share:.0%}*{target}{change}{retired}"


def _allocation_status(line: AllocationLine) -> str:
    if line.unaligned:
        return "⚪ No theme ·"
    if line.retired:
        return "⚫ Retired ·"
    if line.target_share is None:
        return "⚪ No target ·"
    return "🟠 Off target ·" if line.off_target else "🟢 On target ·"


def _age_line(age: ItemAge, limits: Mapping[str, int]) -> str:
    name = f"{age.level.value.capitalize()} {age.key} · {age.title}"
    limit = limits.get(age.state)
    over = f" (limit {limit})" if limit is not None else ""
    return (
        f"{link(age.url, name, label_limit=_TITLE_LIMIT)} — *{age.days} days* in "
        f"{escape(age.state)}{over}"
    )


def _item_line(item: DigestItem) -> str:
    title = escaped(item.title, _TITLE_LIMIT)
    return f"{link(item.url, item.key)} {title} — {escape(item.state)}"


def _unaligned_heading(digest: Digest) -> str:
    shown = len(digest.unaligned)
    more = f", showing {shown}" if digest.unaligned_total > shown else ""
    return f"*Serving no active theme* ({digest.unaligned_total}{more})"


def _hygiene_heading(digest: Digest) -> str:
    return f"*Hygiene: statuses no mapping knows* ({len(digest.unmapped)})"


def _hygiene_lines(unmapped: Sequence[UnmappedItem]) -> list[str]:
    lines = [
        f"{escaped(item.source, 40)} {escaped(item.key, 60)}: status “{escaped(item.status, 100)}”"
        for item in unmapped[:MAX_HYGIENE_LINES]
    ]
    if len(unmapped) > MAX_HYGIENE_LINES:
        lines.append(f"…and {len(unmapped) - MAX_HYGIENE_LINES} more (`lpmsync report` lists all)")
    return lines


def _lines_block(heading: str, lines: Sequence[str]) -> list[list[Block]]:
    """A heading and its lines as sections of at most 10 lines (and Slack's text limit), each
    its own chunk so that a long list may continue in the next part. Empty lists say so."""
    if not lines:
        return [[section(f"{heading}\n_none_")]]
    chunks: list[list[Block]] = []
    current = [heading]
    for line in lines:
        size = sum(len(text) + 1 for text in current)
        if len(current) >= LINES_PER_SECTION or size + len(line) > _SECTION_BUDGET:
            chunks.append([section("\n".join(current))])
            current = []
        current.append(line)
    chunks.append([section("\n".join(current))])
    return chunks
