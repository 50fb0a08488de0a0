"""One alert as a Slack section: the item named and linked, the facts, the owner, the next step.
Pure: stdlib and domain only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lpmsync.domain.notices import AlertEntry
from lpmsync.notify.blocks import Block, escape, escaped, link, mention, section
from lpmsync.notify.wording import ItemLink, Names, Wording, subject_link

_TITLE_LIMIT = 150
_FACTS_LIMIT = 700
_RELATED_SHOWN = 8


@dataclass(frozen=True, slots=True)
class EntryView:
    """An alert with its wording, ready to lay out."""

    entry: AlertEntry
    wording: Wording
    names: Names
    people: Mapping[str, str]
    show_source: bool

    def block(self, *, show_next: bool) -> Block:
        lines = [label_text(self), escaped(self.wording.facts, _FACTS_LIMIT)]
        related = self._related()
        if related:
            lines.append(related)
        if show_next:
            lines.append(f"*Next step:* {escape(self.wording.next_step)}")
        status = self._status()
        if status:
            lines.append(status)
        return section("\n".join(lines))

    def owner(self) -> str | None:
        """A mention when the owner maps to a Slack id, else their name in plain text."""
        owner = self.entry.finding.evidence.get("owner")
        if not isinstance(owner, str) or not owner:
            return None
        slack_id = self.people.get(owner) or self.people.get(owner.lower())
        pinged = mention(slack_id) if slack_id else None
        return pinged or escaped(owner, 80)

    def _related(self) -> str | None:
        refs = [ref for ref in self.wording.related if ref]
        if not refs:
            return None
        shown = [item_link(self.names.items.get(ref), ref) for ref in refs[:_RELATED_SHOWN]]
        evidence = self.entry.finding.evidence
        total = evidence.get("count", evidence.get("higher_waiting_count"))
        more = (total if isinstance(total, int) else len(refs)) - len(shown)
        tail = f" and {more} more" if more > 0 else ""
        return f"{escape(self.wording.related_label)}: " + ", ".join(shown) + tail

    def _status(self) -> str | None:
        entry = self.entry
        if entry.resolved_at is not None:
            return f"_Resolved {entry.resolved_at:%Y-%m-%d %H:%M} UTC_"
        if entry.repeat:
            return f"_Still open since {entry.first_seen:%Y-%m-%d %H:%M} UTC_"
        return None


def item_link(item: ItemLink | None, ref: str) -> str:
    """`<url|Epic 1003 · Title>` for a known item, else its bare key."""
    if item is None:
        return escaped(ref.partition(":")[2] or ref, 80)
    label = f"{item.name} · {item.title}" if item.title else item.name
    return link(item.url, label, label_limit=_TITLE_LIMIT)


def label_text(view: EntryView, *, with_headline: bool = False) -> str:
    """The first line of an alert: the item (linked, with source and owner) or, for an alert
    about a state or theme, its headline."""
    finding = view.entry.finding
    item = subject_link(finding)
    if item is None:
        return f"*{escaped(view.wording.headline, _TITLE_LIMIT)}*"
    parts = [f"*{item_link(item, item.key)}*"]
    if view.show_source:
        parts.append(f"({escape(item.source)})")
    owner = view.owner()
    if owner:
        parts.append(f"· owner {owner}")
    if with_headline:
        parts.append(f"— {escaped(view.wording.headline, _TITLE_LIMIT)}")
    text = " ".join(parts)
    return f"~{text}~" if view.entry.resolved_at is not None else text


def block_text_size(block: Mapping[str, object]) -> int:
    """Characters of text in a block (sections, fields, context elements, headers)."""
    size = 0
    text = block.get("text")
    if isinstance(text, dict):
        size += len(str(text.get("text", "")))
    for key in ("fields", "elements"):
        parts = block.get(key)
        if isinstance(parts, list):
            size += sum(len(str(p.get("text", ""))) for p in parts if isinstance(p, dict))
    return size
