"""Findings → Slack messages (Block Kit, with a `text` fallback). Pure: stdlib and domain only.

All tracker text is escaped (`blocks.escape`), so a title can never ping a channel or a user;
mentions come only from configured owner ids. Digests are rendered by `render_digest`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lpmsync.domain.findings import Finding, JsonValue, RuleId, Severity
from lpmsync.domain.notices import AlertEntry, RenderedMessage
from lpmsync.notify.blocks import (
    clip,
    context,
    escape,
    escaped,
    link,
    mention,
    section,
    split_message,
)
from lpmsync.notify.render_actions import with_alert_actions

RULE_TITLES: Mapping[str, str] = {
    RuleId.UNALIGNED: "Work serving no active theme",
    RuleId.RETIRED_THEME: "Work on a retired theme",
    RuleId.THEME_MISMATCH: "Feature theme differs from its epic",
    RuleId.ORPHAN_FEATURE: "Feature without a parent epic",
    RuleId.PREMATURE_START: "Feature started before its epic was approved",
    RuleId.ALLOCATION_DRIFT: "Theme allocation outside its guardrail",
    RuleId.WIP_BREACH: "WIP limit exceeded",
    RuleId.WIP_STARVED: "WIP below its minimum",
    RuleId.AGING: "Item aging in its state",
    RuleId.STALE: "Item not updated for a long time",
    RuleId.WSJF_INVERSION: "Lower-WSJF work started ahead of higher-WSJF work",
}
SEVERITY_ICONS: Mapping[Severity, str] = {
    Severity.CRITICAL: "🔴",
    Severity.WARNING: "🟠",
    Severity.INFO: "🔵",
}
_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
_TITLE_LIMIT = 200
_MESSAGE_LIMIT = 600
_EVIDENCE_LIMIT = 900
_FALLBACK_KEYS = 10
_REPLY_LINES = 40
_HIDDEN_EVIDENCE = frozenset({"theme_reason", "themes", "item", "source", "title", "url"})


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule)


@dataclass(frozen=True, slots=True)
class SlackRenderer:
    """The Slack `AlertRenderer`. `theme_names` maps theme keys to display names."""

    theme_names: Mapping[str, str] = field(default_factory=dict)

    def alert_group(
        self, rule: str, entries: Sequence[AlertEntry], mentions: Sequence[str]
    ) -> list[RenderedMessage]:
        severity = _worst(entry.finding.severity for entry in entries)
        new = sum(1 for entry in entries if not entry.repeat)
        plural = "s" if len(entries) != 1 else ""
        title = f"{SEVERITY_ICONS[severity]} {rule_title(rule)}: {len(entries)} alert{plural}"
        lead = [context([_counts_line(rule, new, len(entries) - new)])]
        who = [m for m in (mention(slack_id) for slack_id in mentions) if m]
        if who:
            lead.insert(0, section("For " + " ".join(dict.fromkeys(who))))
        body = [[section(self._entry_text(entry))] for entry in entries]
        fallback = f"{title} — {_keys(entries)}"
        parts = split_message(title, lead, body, escape(fallback))
        return with_alert_actions(_with_fingerprints(parts, entries, len(lead)), entries)

    def resolved_original(self, rule: str, entries: Sequence[AlertEntry]) -> RenderedMessage:
        resolved = sum(1 for entry in entries if entry.resolved_at is not None)
        icon = "✅" if resolved == len(entries) else "🟡"
        title = f"{icon} {rule_title(rule)}: {resolved} of {len(entries)} resolved"
        body = [[section(self._entry_text(entry))] for entry in entries]
        lead = [context([f"rule `{escape(rule)}` · edited when the alerts resolved"])]
        first = split_message(title, lead, body, escape(f"{title} — {_keys(entries)}"))[0]
        return RenderedMessage(
            first.text, first.blocks, tuple(e.finding.fingerprint for e in entries)
        )

    def resolution_reply(self, entries: Sequence[AlertEntry]) -> RenderedMessage:
        lines = [f"✅ {_label(entry.finding)}" for entry in entries[:_REPLY_LINES]]
        if len(entries) > _REPLY_LINES:
            lines.append(f"…and {len(entries) - _REPLY_LINES} more")
        blocks = tuple(section("\n".join(lines[i : i + 10])) for i in range(0, len(lines), 10))
        text = escape(f"Resolved: {_keys(entries)}")
        return RenderedMessage(text, blocks, tuple(e.finding.fingerprint for e in entries))

    def _entry_text(self, entry: AlertEntry) -> str:
        finding = entry.finding
        head = _label(finding)
        lines = [f"✅ ~{head}~" if entry.resolved_at else head]
        lines.append(escaped(finding.message, _MESSAGE_LIMIT))
        theme_line = self._theme_line(finding)
        if theme_line:
            lines.append(theme_line)
        evidence = _evidence(finding.evidence)
        if evidence:
            lines.append(f"_Evidence:_ {evidence}")
        if entry.resolved_at is not None:
            lines.append(f"_Resolved {entry.resolved_at:%Y-%m-%d %H:%M} UTC_")
        elif entry.repeat:
            lines.append(f"_Still firing since {entry.first_seen:%Y-%m-%d %H:%M} UTC_")
        return "\n".join(lines)

    def _theme_line(self, finding: Finding) -> str | None:
        theme = finding.scope.theme
        reason = finding.evidence.get("theme_reason")
        if theme is None and not isinstance(reason, str):
            return None
        name = escaped(self.theme_names.get(theme, theme), 100) if theme else "no theme"
        why = f" — {escaped(reason, 300)}" if isinstance(reason, str) and reason else ""
        return f"_Theme:_ {name}{why}"


def _label(finding: Finding) -> str:
    """The item's tracker link and title, or the scope for findings about a state or theme."""
    if finding.subject is not None:
        subject = finding.subject
        key = link(subject.url, subject.key)
        return f"*{key}* {escaped(subject.title, _TITLE_LIMIT)}"
    scope = finding.scope
    parts = [p for p in (scope.state, scope.level, scope.value_stream, scope.theme) if p]
    return f"*{escaped(' · '.join(parts) or finding.rule, _TITLE_LIMIT)}*"


def _counts_line(rule: str, new: int, repeated: int) -> str:
    counts = [f"{new} new"] if new else []
    if repeated:
        counts.append(f"{repeated} still firing")
    return f"rule `{escape(rule)}` · " + ", ".join(counts)


def _keys(entries: Sequence[AlertEntry]) -> str:
    names = [
        entry.finding.subject.key if entry.finding.subject else _scope_name(entry.finding)
        for entry in entries[:_FALLBACK_KEYS]
    ]
    more = f" and {len(entries) - _FALLBACK_KEYS} more" if len(entries) > _FALLBACK_KEYS else ""
    return clip(", ".join(names), 1000) + more


def _scope_name(finding: Finding) -> str:
    scope = finding.scope
    return scope.state or scope.theme or scope.value_stream or finding.rule


def _evidence(evidence: Mapping[str, JsonValue]) -> str:
    pairs = [
        f"{key}: {_compact(value)}"
        for key, value in sorted(evidence.items())
        if key not in _HIDDEN_EVIDENCE
    ]
    return escaped(" · ".join(pairs), _EVIDENCE_LIMIT) if pairs else ""


def _compact(value: JsonValue) -> str:
    if isinstance(value, list):
        return ", ".join(_compact(v) for v in value[:10]) + (" …" if len(value) > 10 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in list(value.items())[:10])
    if isinstance(value, float):
        return f"{value:.2f}"
    return clip(str(value), 200)


def _worst(severities: Iterable[Severity]) -> Severity:
    return max(severities, key=_SEVERITY_ORDER.index, default=Severity.INFO)


def _with_fingerprints(
    parts: list[RenderedMessage], entries: Sequence[AlertEntry], lead_size: int
) -> list[RenderedMessage]:
    """Attach to each part the fingerprints of the entries it shows (one block per entry)."""
    out, start = [], 0
    for index, part in enumerate(parts):
        shown = len(part.blocks) - 1 - (lead_size if index == 0 else 0)
        prints = tuple(e.finding.fingerprint for e in entries[start : start + shown])
        out.append(RenderedMessage(part.text, part.blocks, prints))
        start += shown
    return out
