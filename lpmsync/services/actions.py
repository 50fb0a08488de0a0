"""Acting on alerts: acknowledge and snooze, from Slack or the CLI, each one audited.

Every action is checked against the store at the moment it is applied: an alert that resolved
meanwhile is reported back, not acknowledged or silenced. The effect and its audit row commit in
one transaction; the edit of the Slack message that shows who acted is queued in the outbox like
any other message, so a Slack outage only delays the edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lpmsync.domain.alerts import AlertState, AlertStatus, Silence, alert_name, alert_signature
from lpmsync.domain.audit import AuditAction, AuditEntry
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.services.action_edits import message_edits
from lpmsync.store import SqlStore


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """Who acts on which alerts, and from where (`channel`/`message_ts`: the Slack message)."""

    actor: str
    fingerprints: tuple[str, ...]
    origin: str = "slack"
    channel: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What an action did: `applied` to these alerts; `resolved` and `unknown` were left alone."""

    verb: str
    applied: tuple[AlertState, ...] = ()
    resolved: tuple[AlertState, ...] = ()
    unknown: tuple[str, ...] = ()
    silence_ids: tuple[int, ...] = ()
    edits: int = 0
    until: datetime | None = field(default=None)

    def answer(self, zone: ZoneInfo | None = None) -> str:
        """Plain words for the person who acted (an ephemeral reply in Slack); times in `zone`
        (the portfolio's), else UTC."""
        parts = []
        if self.applied:
            local = self.until.astimezone(zone or UTC) if self.until else None
            until = f" until {local:%Y-%m-%d %H:%M %Z}" if local else ""
            parts.append(f"{self.verb.capitalize()} {_names(self.applied)}{until}.")
        if self.resolved:
            parts.append(f"Already resolved, left as is: {_names(self.resolved)}.")
        if self.unknown:
            parts.append(f"{len(self.unknown)} alert(s) are no longer known to lpmsync.")
        return " ".join(parts) or "Nothing to do: no alerts on this message."


def acknowledge(
    store: SqlStore, request: ActionRequest, policy: RoutingPolicy, now: datetime
) -> ActionOutcome:
    firing, resolved, unknown = _current(store, request.fingerprints)
    signatures = {state.fingerprint: alert_signature(state.finding) for state in firing}
    done = set(store.audit.acknowledge(signatures, _entry(request, AuditAction.ACKNOWLEDGE, now)))
    # A state that resolved between loading and the update is reported as resolved.
    applied = tuple(s for s in firing if s.fingerprint in done)
    resolved += tuple(s for s in firing if s.fingerprint not in done)
    edits = _queue_edits(store, applied, policy, now)
    return ActionOutcome("acknowledged", applied, resolved, unknown, edits=edits)


def snooze(
    store: SqlStore, request: ActionRequest, until: datetime, policy: RoutingPolicy, now: datetime
) -> ActionOutcome:
    """One silence per rule, scoped to exactly the firing alerts among `request.fingerprints`."""
    if until <= now:
        raise ValueError("a snooze must end in the future")
    firing, resolved, unknown = _current(store, request.fingerprints)
    ids = []
    for rule in sorted({state.rule for state in firing}):
        members = [s for s in firing if s.rule == rule]
        silence = Silence(
            id=None,
            rule=rule,
            matchers={},
            until=until,
            comment=f"snoozed from Slack: {_names(members)}",
            created_at=now,
            fingerprints=frozenset(s.fingerprint for s in members),
            author=request.actor,
        )
        entry = _entry(request, AuditAction.SNOOZE, now, [s.fingerprint for s in members])
        entry = replace(entry, detail={"until": until.isoformat()})
        ids.append(store.audit.add_silence(silence, entry))
    edits = _queue_edits(store, firing, policy, now)
    return ActionOutcome("snoozed", firing, resolved, unknown, tuple(ids), edits, until)


def _current(
    store: SqlStore, fingerprints: Sequence[str]
) -> tuple[tuple[AlertState, ...], tuple[AlertState, ...], tuple[str, ...]]:
    states = {state.fingerprint: state for state in store.alerts.load(fingerprints)}
    firing = tuple(s for s in states.values() if s.status is AlertStatus.FIRING)
    resolved = tuple(s for s in states.values() if s.status is AlertStatus.RESOLVED)
    unknown = tuple(fp for fp in dict.fromkeys(fingerprints) if fp not in states)
    return firing, resolved, unknown


def _entry(
    request: ActionRequest,
    action: AuditAction,
    now: datetime,
    fingerprints: Sequence[str] | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=request.actor,
        action=action,
        origin=request.origin,
        fingerprints=tuple(request.fingerprints if fingerprints is None else fingerprints),
        channel=request.channel,
        message_ts=request.message_ts,
    )


def _queue_edits(
    store: SqlStore, acted: Sequence[AlertState], policy: RoutingPolicy, now: datetime
) -> int:
    if not acted:
        return 0
    messages = message_edits(store, acted, policy, now)
    return store.outbox.enqueue(messages, now)


def _names(states: Sequence[AlertState]) -> str:
    names = [alert_name(s.finding) for s in states[:10]]
    more = f" and {len(states) - 10} more" if len(states) > 10 else ""
    return ", ".join(names) + more
