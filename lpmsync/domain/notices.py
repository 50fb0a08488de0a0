"""The contract between the alert lifecycle (what to say, when) and the renderer (how it looks).

Both live in the pure core but may not import each other; the lifecycle receives an
`AlertRenderer` and the service layer passes the Slack one in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lpmsync.domain.findings import Finding, JsonValue


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """One alert as a message shows it. `repeat`: announced before and still firing;
    `resolved_at`: set once the condition has gone."""

    finding: Finding
    first_seen: datetime
    repeat: bool = False
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One Slack message: the notification fallback `text` (escaped mrkdwn), its Block Kit
    `blocks`, and the fingerprints of the alerts it shows (empty for non-alert messages)."""

    text: str
    blocks: tuple[Mapping[str, JsonValue], ...]
    fingerprints: tuple[str, ...] = ()


class AlertRenderer(Protocol):
    """Turns alerts into Slack messages, within Slack's limits."""

    def alert_group(
        self, rule: str, entries: Sequence[AlertEntry], mentions: Sequence[str]
    ) -> list[RenderedMessage]:
        """The alerts of one rule for one route: one message, or several parts if too long.
        `mentions` are Slack ids of the owners to mention."""
        ...

    def resolved_original(self, rule: str, entries: Sequence[AlertEntry]) -> RenderedMessage:
        """The edited-in-place version of an announcement: resolved entries marked as such."""
        ...

    def resolution_reply(self, entries: Sequence[AlertEntry]) -> RenderedMessage:
        """The short thread reply saying which alerts resolved."""
        ...

    def baseline(self, entries: Sequence[AlertEntry]) -> RenderedMessage:
        """One summary of many alerts announced at once (a new store, or a flood)."""
        ...
