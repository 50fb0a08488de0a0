"""Findings → alert lifecycle → outbox: the notifying half of `lpmsync check`.

The order matters for "nothing is sent twice, nothing is lost": messages are enqueued first and
the alert states saved after. If the process dies in between, the next run recomputes the same
messages with the same dedup keys (they derive from stored state), which the outbox ignores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from lpmsync.domain.alerts import AlertState, AlertStatus, OutgoingMessage
from lpmsync.domain.findings import Finding, Severity
from lpmsync.domain.routing import QuietWindow, RouteRule, RoutingPolicy
from lpmsync.errors import ConfigError
from lpmsync.notify.lifecycle import evaluate
from lpmsync.notify.render import SlackRenderer
from lpmsync.notify.slack import slack_client
from lpmsync.notify.slack_people import SlackPeople
from lpmsync.services.notify_links import ItemLoader, related_links
from lpmsync.settings import Settings, read_secret
from lpmsync.settings.notify import QuietHours, Route, SlackConfig
from lpmsync.store import SqlStore


@dataclass(frozen=True, slots=True)
class NotifyOutcome:
    """What one notify step decided. `enqueued` is how many messages were new to the outbox
    (0 on a dry run); `states` the alert states that changed (firing, resolved)."""

    messages: tuple[OutgoingMessage, ...]
    states: tuple[AlertState, ...]
    enqueued: int = 0
    dry_run: bool = False

    @property
    def firing(self) -> int:
        return sum(1 for state in self.states if state.status is AlertStatus.FIRING)

    @property
    def resolved(self) -> int:
        return sum(1 for state in self.states if state.status is AlertStatus.RESOLVED)


def slack_config(settings: Settings) -> SlackConfig:
    if settings.notify.slack is None:
        raise ConfigError("notify.slack is not configured; it names the channels to post to")
    return settings.notify.slack


def routing_policy(settings: Settings) -> RoutingPolicy:
    """The pure lifecycle's view of `notify.slack` and the themes' owners."""
    slack = slack_config(settings)
    return RoutingPolicy(
        default_channel=slack.default_channel,
        routes=tuple(_route(route) for route in slack.routes),
        repeat_interval=slack.repeat_interval,
        timezone=settings.portfolio.timezone,
        owners={theme.key: theme.owner for theme in settings.themes if theme.owner},
        theme_names={theme.key: theme.name for theme in settings.themes},
        baseline_threshold=slack.baseline_threshold,
        people=settings.people.lookup(),
        show_source=len(settings.sources) > 1,
        max_items=slack.max_items_per_message,
        web_base_url=settings.web.base_url,
    )


def slack_renderer(
    policy: RoutingPolicy, findings: Sequence[Finding], items: ItemLoader | None = None
) -> SlackRenderer:
    """The renderer for `policy`, able to link the items `findings` mention (a WIP cell's
    items, an epic) when `items` can load them."""
    links = related_links(findings, items) if items is not None else {}
    return SlackRenderer(
        theme_names=policy.theme_names,
        items=links,
        people=policy.people,
        show_source=policy.show_source,
        max_items=policy.max_items,
        web_base_url=policy.web_base_url,
    )


def _route(route: Route) -> RouteRule:
    match = route.match

    def keys(values: Sequence[str] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    severities = None if match.severity is None else [Severity(s).value for s in match.severity]
    return RouteRule(
        channel=route.channel,
        rules=keys(match.rule),
        themes=keys(match.theme),
        value_streams=keys(match.value_stream),
        severities=keys(severities),
        quiet_hours=_quiet(route.quiet_hours),
        mention_owner=route.mention_owner,
    )


def _quiet(quiet: QuietHours | None) -> QuietWindow | None:
    if quiet is None:
        return None
    return QuietWindow(start=quiet.start, end=quiet.end, weekends=quiet.weekends)


def people_lookup(settings: Settings) -> SlackPeople | None:
    """The Slack email lookup, when `people.lookup_by_email` is on (one per process: its cache
    lives as long as it does)."""
    slack = settings.notify.slack
    if not settings.people.lookup_by_email or slack is None:
        return None
    token = read_secret(slack.token_env, key="notify.slack.token_env")
    client = slack_client(
        token.get_secret_value(),
        base_url=slack.base_url,
        timeout_seconds=max(1, round(slack.timeout_seconds)),
    )
    return SlackPeople(client)


def _with_people(
    policy: RoutingPolicy, findings: Sequence[Finding], people: SlackPeople | None
) -> RoutingPolicy:
    """The policy with the Slack ids of owners found by email and not mapped in `people`."""
    if people is None:
        return policy
    owners = {f.evidence.get("owner") for f in findings}
    emails = [o for o in owners if isinstance(o, str) and o.lower() not in policy.people]
    found = people.lookup(emails)
    return replace(policy, people={**found, **policy.people}) if found else policy


def notify_findings(
    store: SqlStore,
    findings: Sequence[Finding],
    policy: RoutingPolicy,
    now: datetime,
    *,
    dry_run: bool = False,
    people: SlackPeople | None = None,
) -> NotifyOutcome:
    """Run the lifecycle over `findings`; enqueue its messages and save the alert states,
    unless `dry_run` (then nothing is written and the outcome says what would be sent).
    `people` looks owners up in Slack by email (`people.lookup_by_email`)."""
    policy = _with_people(policy, findings, people)
    previous = store.alerts.load_all()
    late = store.alerts.corrections_due()
    result = evaluate(
        findings,
        previous,
        silences=store.silences.active(now),
        policy=policy,
        now=now,
        renderer=slack_renderer(policy, findings, store.items),
        corrections=late,
    )
    if dry_run:
        return NotifyOutcome(result.messages, result.states, dry_run=True)
    enqueued = store.outbox.enqueue(result.messages, now)
    store.alerts.save(result.states)
    store.alerts.corrected(late)
    if any(state.status is AlertStatus.RESOLVED for state in result.states):
        # A grouped announcement still waiting (quiet hours, an outage) is withdrawn once every
        # alert it announces has resolved, whichever run resolved each of them.
        current = {s.fingerprint: s for s in previous} | {s.fingerprint: s for s in result.states}
        resolved = [fp for fp, s in current.items() if s.status is AlertStatus.RESOLVED]
        store.outbox.withdraw(resolved, now)
    return NotifyOutcome(result.messages, result.states, enqueued)
