"""Findings → Slack messages (Block Kit, with a `text` fallback). Pure: stdlib and domain only.

What each alert says comes from `notify.wording`; this module lays it out. A group shows its most
severe, biggest alerts first, at most `max_items` of them and under `MAX_MESSAGE_TEXT` characters,
then "and N more" with where to see the rest. All tracker text is escaped (`blocks.escape`), so a
title can never ping; mentions come only from configured Slack ids. Digests: `render_digest`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lpmsync.domain.findings import Severity
from lpmsync.domain.notices import AlertEntry, RenderedMessage
from lpmsync.notify.blocks import Block, context, escape, header, mention, section
from lpmsync.notify.render_actions import with_alert_actions
from lpmsync.notify.render_entry import EntryView, block_text_size, label_text
from lpmsync.notify.wording import (
    RULE_TITLES,
    ItemLink,
    Names,
    priority,
    rule_title,
    severity_label,
    word,
)

__all__ = ["RULE_TITLES", "SEVERITY_ICONS", "SlackRenderer", "rule_title"]

SEVERITY_ICONS: Mapping[Severity, str] = {
    Severity.CRITICAL: "🔴",
    Severity.WARNING: "🟠",
    Severity.INFO: "🔵",
}
_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
MAX_MESSAGE_TEXT = 12_000  # characters of block text per message, well under Slack's limits
_FALLBACK_KEYS = 10
_REPLY_LINES = 40
_BASELINE_TOP = 5


@dataclass(frozen=True, slots=True)
class SlackRenderer:
    """The Slack `AlertRenderer`.

    `theme_names`: theme key → display name; `items`: `source:key` → the item, to link items a
    finding mentions; `people`: tracker owner → Slack id; `show_source` names each item's source
    (set when several are configured); `web_base_url` points "and N more" at the web board.
    """

    theme_names: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, ItemLink] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    show_source: bool = False
    max_items: int = 10
    web_base_url: str | None = None

    def alert_group(
        self, rule: str, entries: Sequence[AlertEntry], mentions: Sequence[str]
    ) -> list[RenderedMessage]:
        ordered = self._ordered(entries)
        severity = _worst(entry.finding.severity for entry in ordered)
        new = sum(1 for entry in ordered if not entry.repeat)
        title = f"{SEVERITY_ICONS[severity]} {rule_title(rule)} · {_count(len(ordered))}"
        lead = [context([_counts_line(severity, new, len(ordered) - new)])]
        who = self._mentions(mentions)
        if who:
            lead.append(section("For " + " ".join(who)))
        views = [self._view(entry) for entry in ordered]
        lead.append(section(_why_block(views)))
        common = _common_next(views)
        body = [view.block(show_next=common is None) for view in views]
        blocks, shown = self._fit([header(title), *lead], body, rule)
        blocks = with_alert_actions(blocks, 1 + len(lead), ordered[:shown], ordered)
        fallback = f"{severity_label(severity)}: {title} — {_keys(ordered)}"
        prints = tuple(entry.finding.fingerprint for entry in ordered)
        return [RenderedMessage(escape(fallback), tuple(blocks), prints)]

    def resolved_original(self, rule: str, entries: Sequence[AlertEntry]) -> RenderedMessage:
        ordered = self._ordered(entries)
        resolved = sum(1 for entry in ordered if entry.resolved_at is not None)
        icon = "✅" if resolved == len(ordered) else "🟡"
        title = f"{icon} {rule_title(rule)}: {resolved} of {len(ordered)} resolved"
        lead = [context([f"Edited as the alerts resolved · rule `{escape(rule)}`"])]
        body = [self._view(entry).block(show_next=False) for entry in ordered]
        blocks, _ = self._fit([header(title), *lead], body, rule)
        prints = tuple(e.finding.fingerprint for e in ordered)
        return RenderedMessage(escape(f"{title} — {_keys(ordered)}"), tuple(blocks), prints)

    def resolution_reply(self, entries: Sequence[AlertEntry]) -> RenderedMessage:
        names = [label_text(self._view(entry)) for entry in self._ordered(entries)]
        lines = [f"✅ Resolved: {name}" for name in names[:_REPLY_LINES]]
        if len(names) > _REPLY_LINES:
            lines.append(f"…and {len(names) - _REPLY_LINES} more")
        blocks = tuple(section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10))
        text = escape(f"Resolved: {_keys(entries)}")
        return RenderedMessage(text, blocks, tuple(e.finding.fingerprint for e in entries))

    def baseline(self, entries: Sequence[AlertEntry]) -> RenderedMessage:
        """One summary instead of a flood: counts per rule, the top five, where to see all."""
        ordered = self._ordered(entries)
        per_rule: dict[str, list[AlertEntry]] = {}
        for entry in ordered:
            per_rule.setdefault(entry.finding.rule, []).append(entry)
        title = f"📋 Portfolio baseline · {_count(len(ordered))} open"
        counts = [
            f"• *{severity_label(group[0].finding.severity)}* · {escape(rule_title(rule))}: "
            f"{len(group)}"
            for rule, group in per_rule.items()
        ]
        top = ["• " + label_text(self._view(entry), with_headline=True) for entry in ordered]
        blocks: list[Block] = [
            header(title),
            section(
                "lpmsync found these open alerts at once, so it sums them up here instead of "
                "posting each one. From now on only new alerts are posted, and these repeat "
                "once their repeat interval has passed."
            ),
            section("*Alerts per rule*\n" + "\n".join(counts)),
            section("*The five most pressing*\n" + "\n".join(top[:_BASELINE_TOP])),
            context([f"See them all: {self._see_all(None)}"]),
        ]
        text = escape(f"{title}: " + ", ".join(f"{r} {len(g)}" for r, g in per_rule.items()))
        return RenderedMessage(text, tuple(blocks))

    def _ordered(self, entries: Sequence[AlertEntry]) -> list[AlertEntry]:
        return sorted(entries, key=lambda entry: priority(entry.finding))

    def _view(self, entry: AlertEntry) -> EntryView:
        names = Names(themes=self.theme_names, items=self.items)
        return EntryView(entry, word(entry.finding, names), names, self.people, self.show_source)

    def _mentions(self, slack_ids: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(m for m in (mention(s) for s in slack_ids) if m))

    def _fit(self, lead: list[Block], body: Sequence[Block], rule: str) -> tuple[list[Block], int]:
        """The lead and as many body blocks as `max_items` and the text budget allow, then
        "and N more" with where to see them; and how many body blocks it shows."""
        blocks = list(lead)
        used = sum(block_text_size(block) for block in blocks) + 400  # room for the tail
        shown = 0
        for block in body[: self.max_items]:
            size = block_text_size(block)
            if used + size > MAX_MESSAGE_TEXT or len(blocks) >= 48:
                break
            blocks.append(block)
            used += size
            shown += 1
        hidden = len(body) - shown
        if hidden:
            blocks.append(context([f"…and {hidden} more: {self._see_all(rule)}"]))
        return blocks, shown

    def _see_all(self, rule: str | None) -> str:
        if self.web_base_url:
            base = self.web_base_url.rstrip("/")
            url = f"{base}/findings" + (f"?rule={rule}" if rule else "")
            return f"<{escape(url)}|open the full list on the board>"
        command = "lpmsync report" + (f" --rule {rule}" if rule else "")
        return f"run `{escape(command)}` for the full list"


def _why_block(views: Sequence[EntryView]) -> str:
    lines = [f"*Why it matters:* {escape(views[0].wording.why)}"] if views else []
    common = _common_next(views)
    if common is not None:
        lines.append(f"*Next step:* {escape(common)}")
    return "\n".join(lines)


def _common_next(views: Sequence[EntryView]) -> str | None:
    steps = {view.wording.next_step for view in views}
    return steps.pop() if len(steps) == 1 else None


def _counts_line(severity: Severity, new: int, repeated: int) -> str:
    counts = [f"{new} new"] if new else []
    if repeated:
        counts.append(f"{repeated} still open")
    return f"*{severity_label(severity)}* · " + ", ".join(counts)


def _count(n: int) -> str:
    return f"{n} alert{'' if n == 1 else 's'}"


def _keys(entries: Sequence[AlertEntry]) -> str:
    names = [
        entry.finding.subject.key if entry.finding.subject else entry.finding.scope.state or ""
        for entry in entries[:_FALLBACK_KEYS]
    ]
    more = f" and {len(entries) - _FALLBACK_KEYS} more" if len(entries) > _FALLBACK_KEYS else ""
    return ", ".join(name for name in names if name)[:1000] + more


def _worst(severities: Iterable[Severity]) -> Severity:
    return max(severities, key=_SEVERITY_ORDER.index, default=Severity.INFO)
