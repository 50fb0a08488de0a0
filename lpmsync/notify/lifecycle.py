"""The alert lifecycle, modelled on Prometheus Alertmanager. Pure: `now` is passed in.

Given this run's findings and what was remembered from earlier runs, decide the new alert states
and the messages to enqueue:

- a new fingerprint fires (one message per rule and route, in parts if long);
- one that persists is repeated only once `repeat_interval` has passed since it was last notified;
- one that disappears is resolved: its announcement is edited in place (UPDATE) and a short
  resolution is posted in that message's thread; if it was never sent, it is only marked resolved,
  and should its announcement go out later, the caller passes it back as a correction;
- silenced alerts are tracked but not sent; quiet hours set `not_before` on posts;
- the first run of a store, or a run that would announce more than `baseline_threshold` new
  alerts, sends one baseline summary instead; its alerts count as announced (they repeat and
  resolve as usual afterwards, resolving without a message to edit).
- an acknowledged alert is not repeated while its severity and scope stay as acknowledged.

Every `dedup_key` derives from stored state (fingerprints, episode, last notification, message
ts), never from the clock alone, so re-running after a crash or on another replica enqueues the
same keys, which the outbox ignores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from lpmsync.domain.alerts import (
    AlertState,
    AlertStatus,
    MessageKind,
    OutgoingMessage,
    Silence,
    alert_signature,
)
from lpmsync.domain.findings import Finding
from lpmsync.domain.notices import AlertEntry, AlertRenderer
from lpmsync.domain.routing import RouteRule, RoutingPolicy
from lpmsync.notify.quiet import release_time


@dataclass(frozen=True, slots=True)
class LifecycleResult:
    """`states`: every alert state that changed (save them all); `messages`: what to enqueue."""

    states: tuple[AlertState, ...]
    messages: tuple[OutgoingMessage, ...]


@dataclass(frozen=True, slots=True)
class _Due:
    """An alert to announce in this run, and the key that identifies this announcement."""

    state: AlertState
    route: RouteRule
    key: str
    repeat: bool


def evaluate(
    findings: Iterable[Finding],
    previous: Iterable[AlertState],
    *,
    silences: Sequence[Silence],
    policy: RoutingPolicy,
    now: datetime,
    renderer: AlertRenderer,
    corrections: Iterable[AlertState] = (),
) -> LifecycleResult:
    """One lifecycle step; see the module docstring. `corrections`: resolved alerts whose
    announcement went out after they resolved (still showing them firing): it is edited and
    replied to like a fresh resolution."""
    known = {state.fingerprint: state for state in previous}
    current = {finding.fingerprint: finding for finding in findings}
    active = [silence for silence in silences if silence.active_at(now)]
    states: dict[str, AlertState] = {}
    due: list[_Due] = []
    for fingerprint, finding in current.items():
        state, key = _firing_state(known.get(fingerprint), finding, now)
        silenced = is_silenced(finding, active)
        announce = _announcement(state, key, policy, now) if not silenced else None
        if announce is not None:
            key, repeat = announce
            due.append(_Due(state, policy.route_for(finding), key, repeat))
            state = replace(state, last_notified=now)
        states[fingerprint] = state
    resolved = [
        replace(state, status=AlertStatus.RESOLVED, resolved_at=now)
        for fingerprint, state in known.items()
        if state.status is AlertStatus.FIRING and fingerprint not in current
    ]
    states.update((state.fingerprint, state) for state in resolved)
    if _is_baseline(due, known, policy):
        messages = [_baseline(due, policy, renderer)]
    else:
        messages = _announcements(due, policy, now, renderer)
    context = _Context(policy, now, renderer, active)
    late = [state for state in corrections if state.status is AlertStatus.RESOLVED]
    messages += _resolutions([*resolved, *late], {**known, **states}, context)
    return LifecycleResult(tuple(states.values()), tuple(messages))


def is_silenced(finding: Finding, silences: Iterable[Silence]) -> bool:
    """Whether any silence covers the finding: same rule, every matcher equal, and its
    fingerprint among the silence's (when the silence names fingerprints)."""
    return any(
        silence.rule == finding.rule
        and (not silence.fingerprints or finding.fingerprint in silence.fingerprints)
        and all(_field(finding, key) == value for key, value in silence.matchers.items())
        for silence in silences
    )


def _field(finding: Finding, key: str) -> str | None:
    scope, subject = finding.scope, finding.subject
    values: Mapping[str, str | None] = {
        "theme": scope.theme,
        "value_stream": scope.value_stream,
        "state": scope.state,
        "level": scope.level.value if scope.level else None,
        "severity": finding.severity.value,
        "source": subject.source if subject else None,
        "key": subject.key if subject else None,
    }
    return values.get(key)


def _firing_state(
    old: AlertState | None, finding: Finding, now: datetime
) -> tuple[AlertState, str]:
    """The state of a firing alert, and the key of its first announcement in this episode."""
    if old is not None and old.status is AlertStatus.FIRING:
        state = replace(old, finding=finding, last_seen=now)
        return state, f"fire:{old.fingerprint}:{old.first_seen.isoformat()}"
    # A new episode: keyed by the end of the previous one so a retried run reuses the key.
    episode = old.resolved_at.isoformat() if old and old.resolved_at else "new"
    state = AlertState(
        fingerprint=finding.fingerprint,
        rule=finding.rule,
        status=AlertStatus.FIRING,
        finding=finding,
        first_seen=now,
        last_seen=now,
    )
    return state, f"fire:{finding.fingerprint}:after:{episode}"


def _announcement(
    state: AlertState, fire_key: str, policy: RoutingPolicy, now: datetime
) -> tuple[str, bool] | None:
    if state.last_notified is None:
        return fire_key, False
    if state.acknowledged_at is not None and (
        state.acknowledged_signature == alert_signature(state.finding)
    ):
        return None  # acknowledged: quiet until it resolves or its severity or scope changes
    if now - state.last_notified >= policy.repeat_interval:
        return f"repeat:{state.fingerprint}:{state.last_notified.isoformat()}", True
    return None


def _is_baseline(
    due: Sequence[_Due], known: Mapping[str, AlertState], policy: RoutingPolicy
) -> bool:
    threshold = policy.baseline_threshold
    if threshold is None or not due:
        return False
    new = sum(1 for item in due if not item.repeat)
    return not known or new > threshold


def _baseline(
    due: Sequence[_Due], policy: RoutingPolicy, renderer: AlertRenderer
) -> OutgoingMessage:
    """One summary to the default channel. It carries no fingerprints: a resolution then has no
    announcement to edit, and the alerts resolve quietly."""
    entries = [AlertEntry(d.state.finding, d.state.first_seen, d.repeat) for d in due]
    message = renderer.baseline(entries)
    return OutgoingMessage(
        kind=MessageKind.POST,
        channel=policy.default_channel,
        text=message.text,
        dedup_key=f"baseline:{_digest(d.key for d in due)}",
        blocks=message.blocks,
    )


_RANK = {"critical": 0, "warning": 1, "info": 2}


def _announcements(
    due: Sequence[_Due], policy: RoutingPolicy, now: datetime, renderer: AlertRenderer
) -> list[OutgoingMessage]:
    groups: dict[tuple[str, RouteRule], list[_Due]] = {}
    for item in sorted(due, key=lambda d: (d.state.rule, d.state.fingerprint)):
        groups.setdefault((item.state.rule, item.route), []).append(item)
    # The most severe groups first, so a critical alert is never last in the channel.
    ordered = sorted(
        groups.items(),
        key=lambda group: (
            min(_RANK[m.state.finding.severity.value] for m in group[1]),
            group[0][0],
        ),
    )
    messages = []
    for (rule, route), members in ordered:
        entries = [AlertEntry(m.state.finding, m.state.first_seen, m.repeat) for m in members]
        mentions = _owners(members, policy) if route.mention_owner else []
        keys = {m.state.fingerprint: m.key for m in members}
        hold = release_time(route.quiet_hours, now, policy.timezone)
        for part in renderer.alert_group(rule, entries, mentions):
            key = f"alert:{rule}:{route.channel}:{_digest(keys[fp] for fp in part.fingerprints)}"
            messages.append(
                OutgoingMessage(
                    kind=MessageKind.POST,
                    channel=route.channel,
                    text=part.text,
                    dedup_key=key,
                    blocks=part.blocks,
                    alert_fingerprints=part.fingerprints,
                    not_before=hold,
                )
            )
    return messages


def _owners(members: Sequence[_Due], policy: RoutingPolicy) -> list[str]:
    themes = (m.state.finding.scope.theme for m in members)
    owners = (policy.owners.get(theme) for theme in themes if theme)
    return list(dict.fromkeys(owner for owner in owners if owner))


@dataclass(frozen=True, slots=True)
class _Context:
    policy: RoutingPolicy
    now: datetime
    renderer: AlertRenderer
    silences: Sequence[Silence]


def _resolutions(
    resolved: Sequence[AlertState], everything: Mapping[str, AlertState], context: _Context
) -> list[OutgoingMessage]:
    """For each announcement with newly resolved alerts: an UPDATE of it, and a thread reply."""
    by_message: dict[tuple[str, str], list[AlertState]] = {}
    for state in sorted(resolved, key=lambda s: s.fingerprint):
        if state.channel and state.message_ts:  # never sent: nothing to edit or reply to
            by_message.setdefault((state.channel, state.message_ts), []).append(state)
    messages = []
    for (channel, ts), gone in by_message.items():
        siblings = sorted(
            (s for s in everything.values() if (s.channel, s.message_ts) == (channel, ts)),
            key=lambda s: (s.rule, s.fingerprint),
        )
        messages += _resolution(channel, ts, gone, siblings, context)
    return messages


def _resolution(
    channel: str,
    ts: str,
    gone: Sequence[AlertState],
    siblings: Sequence[AlertState],
    context: _Context,
) -> list[OutgoingMessage]:
    marker = _digest(f"{s.fingerprint}:{ts}" for s in gone)
    original = context.renderer.resolved_original(gone[0].rule, [_entry(s) for s in siblings])
    update = OutgoingMessage(
        kind=MessageKind.UPDATE,
        channel=channel,
        text=original.text,
        dedup_key=f"resolve-update:{channel}:{ts}:{marker}",
        blocks=original.blocks,
        target_ts=ts,
    )
    # An edit notifies nobody, so a silenced alert still gets its announcement corrected.
    audible = [s for s in gone if not is_silenced(s.finding, context.silences)]
    if not audible:
        return [update]
    reply = context.renderer.resolution_reply([_entry(s) for s in audible])
    route = context.policy.route_for(audible[0].finding)
    return [
        update,
        OutgoingMessage(
            kind=MessageKind.POST,
            channel=channel,
            text=reply.text,
            dedup_key=f"resolve:{channel}:{ts}:{marker}",
            blocks=reply.blocks,
            target_ts=ts,
            not_before=release_time(route.quiet_hours, context.now, context.policy.timezone),
        ),
    ]


def _entry(state: AlertState) -> AlertEntry:
    return AlertEntry(state.finding, state.first_seen, resolved_at=state.resolved_at)


def _digest(parts: Iterable[str]) -> str:
    """A short, order-independent hash of a set of keys."""
    joined = "\n".join(sorted(parts))
    return hashlib.sha256(joined.encode()).hexdigest()[:20]
