"""The edits that show, on an alert message, who acknowledged or snoozed its alerts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from lpmsync.domain.alerts import (
    AlertState,
    AlertStatus,
    MessageKind,
    OutgoingMessage,
    Silence,
    alert_name,
    alert_signature,
)
from lpmsync.domain.notices import AlertEntry
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.notify.blocks import escape, mention
from lpmsync.notify.lifecycle import is_silenced
from lpmsync.notify.render import SlackRenderer
from lpmsync.notify.render_actions import with_status
from lpmsync.store import SqlStore


def message_edits(
    store: SqlStore, acted: Sequence[AlertState], policy: RoutingPolicy, now: datetime
) -> list[OutgoingMessage]:
    """One UPDATE per Slack message showing any of `acted`: the message re-rendered from the
    store with a line saying who acknowledged or snoozed what. Alerts never sent have none."""
    located = sorted({(s.channel, s.message_ts) for s in acted if s.channel and s.message_ts})
    silences = [s for s in store.silences.active(now) if s.fingerprints]
    renderer = SlackRenderer(theme_names=policy.theme_names)
    zone = ZoneInfo(policy.timezone)
    edits = []
    for channel, ts in located:
        assert channel is not None and ts is not None
        shown = sorted(store.alerts.on_message(channel, ts), key=lambda s: s.fingerprint)
        if not shown:
            continue
        entries = [
            AlertEntry(s.finding, s.first_seen, repeat=s.last_notified != s.first_seen)
            for s in shown
        ]
        owners = (policy.owners.get(s.finding.scope.theme or "") for s in shown)
        mentions = list(dict.fromkeys(owner for owner in owners if owner))
        message = renderer.alert_group(shown[0].rule, entries, mentions)[0]
        lines = status_lines(shown, silences, zone)
        message = with_status(message, lines)
        marker = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
        edits.append(
            OutgoingMessage(
                kind=MessageKind.UPDATE,
                channel=channel,
                text=message.text,
                dedup_key=f"action-edit:{channel}:{ts}:{now.isoformat()}:{marker}",
                blocks=message.blocks,
                target_ts=ts,
            )
        )
    return edits


def status_lines(
    shown: Sequence[AlertState], silences: Sequence[Silence], zone: ZoneInfo
) -> list[str]:
    """ "Acknowledged by @x at …" / "Snoozed by @x until …": one line when every alert of the
    message shares it, else one per alert that has one."""
    statuses = [_status(state, silences, zone) for state in shown]
    if len(shown) > 1 and statuses[0] and all(s == statuses[0] for s in statuses):
        return [f"{_first_up(statuses[0])} (all {len(shown)} alerts)"]
    lines = []
    for state, status in zip(shown, statuses, strict=True):
        if status:
            lines.append(f"{_name(state)}: {status}" if len(shown) > 1 else _first_up(status))
    return lines


def _first_up(text: str) -> str:
    """Only the first letter: `str.capitalize` would lower-case a <@U…> mention and the zone."""
    return text[:1].upper() + text[1:]


def _status(state: AlertState, silences: Sequence[Silence], zone: ZoneInfo) -> str | None:
    if state.status is not AlertStatus.FIRING:
        return None
    snoozes = [s for s in silences if is_silenced(state.finding, [s]) and s.author]
    if snoozes:
        latest = max(snoozes, key=lambda s: s.until)
        return f"snoozed by {_who(latest.author or '')} until {_local(latest.until, zone)}"
    acknowledged = state.acknowledged_at is not None and (
        state.acknowledged_signature == alert_signature(state.finding)
    )
    if acknowledged and state.acknowledged_at is not None:
        who = _who(state.acknowledged_by or "")
        return f"acknowledged by {who} at {_local(state.acknowledged_at, zone)}"
    return None


def _who(actor: str) -> str:
    return mention(actor) or escape(actor.removeprefix("cli:"))


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _name(state: AlertState) -> str:
    return escape(alert_name(state.finding))
