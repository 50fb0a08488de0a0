"""Findings → lifecycle → outbox → sender → the sandbox Slack over real HTTP, on SQLite and
PostgreSQL: fire, hold, repeat, resolve (chat.update + thread reply), and no duplicates across
restarts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from lpmsync.domain.alerts import AlertStatus, Silence
from lpmsync.domain.findings import Finding, RuleId, Scope, Severity, Subject
from lpmsync.domain.model import Level
from lpmsync.domain.routing import QuietWindow, RouteRule, RoutingPolicy
from lpmsync.notify.lifecycle import evaluate
from lpmsync.notify.render import SlackRenderer
from lpmsync.services.notify import notify_findings, routing_policy
from lpmsync.services.send import drain_outbox
from lpmsync.store import SqlStore, open_store
from tests.integration.notify_support import (
    T0,
    FakeClock,
    Slack,
    fresh,
    serve_slack,
    settings_for,
)


def unaligned(key: str, theme: str | None = None, title: str | None = None) -> Finding:
    return Finding(
        rule=RuleId.UNALIGNED,
        severity=Severity.WARNING,
        fingerprint=f"unaligned:jira:{key}",
        message=f"{key} serves no active theme",
        subject=Subject("jira", key, title or f"Epic {key}", f"https://jira.example/browse/{key}"),
        scope=Scope(state="Implementing", level=Level.EPIC, theme=theme),
        evidence={"theme_reason": "no theme matched"},
    )


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def policy(tmp_path: Path, slack: Slack) -> RoutingPolicy:
    # One alert at a time here; the first-run baseline has its own test below.
    return replace(routing_policy(settings_for(tmp_path, slack.base_url)), baseline_threshold=None)


def test_fire_repeat_resolve_reaches_slack_once_each(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    sender = slack.sender()
    findings = [unaligned("P-1", theme="cx", title="<!channel> urgent"), unaligned("P-2")]

    fired = notify_findings(store, findings, policy, clock())
    assert fired.enqueued == 2
    assert drain_outbox(store, sender, clock).sent == 2
    [cx_post] = slack.workspace.top_level("C0CXTEAM")
    assert len(slack.workspace.top_level("C0PORTFOLIO")) == 1
    assert "<@U0CXOWNER>" in str(cx_post.blocks) and "<!channel>" not in str(cx_post.blocks)
    assert "&lt;!channel&gt; urgent" in str(cx_post.blocks)
    states = {s.fingerprint: s for s in store.alerts.load_all()}
    assert states["unaligned:jira:P-1"].message_ts == cx_post.ts
    assert states["unaligned:jira:P-2"].channel == "C0PORTFOLIO"

    clock.now = T0 + timedelta(hours=1)
    assert notify_findings(store, findings, policy, clock()).enqueued == 0
    assert drain_outbox(store, sender, clock).sent == 0

    clock.now = T0 + timedelta(hours=24)
    assert notify_findings(store, findings, policy, clock()).enqueued == 2
    assert drain_outbox(store, sender, clock).sent == 2
    first, repeat = slack.workspace.top_level("C0CXTEAM")
    assert "Still open since" in str(repeat.blocks)

    clock.now = T0 + timedelta(hours=26)
    resolved = notify_findings(store, findings[1:], policy, clock())
    assert resolved.enqueued == 2 and resolved.resolved == 1
    assert drain_outbox(store, sender, clock).sent == 2
    edited = slack.workspace.message("C0CXTEAM", repeat.ts)
    assert edited is not None and edited.text.startswith("✅")
    assert len(edited.history) == 1  # edited once, in place
    [reply] = slack.workspace.replies("C0CXTEAM", repeat.ts)
    assert reply.text == "Resolved: P-1"
    assert slack.workspace.message("C0CXTEAM", first.ts) == first  # older post untouched
    assert slack.calls("chat.update") == 1 and slack.calls("chat.postMessage") == 5
    gone = next(s for s in store.alerts.load_all() if s.fingerprint == "unaligned:jira:P-1")
    assert gone.status is AlertStatus.RESOLVED and gone.resolved_at == clock.now


def test_restarts_send_nothing_twice(store_url: str, slack: Slack, policy: RoutingPolicy) -> None:
    clock = FakeClock()
    findings = [unaligned("P-1"), unaligned("P-2"), unaligned("P-3", theme="cx")]
    first = open_store(store_url)
    # A check that enqueued its messages and died before saving the alert states.
    lost = evaluate(
        findings,
        first.alerts.load_all(),
        silences=(),
        policy=policy,
        now=clock(),
        renderer=SlackRenderer(),
    )
    assert first.outbox.enqueue(lost.messages, clock()) == 2
    first.close()

    clock.now = T0 + timedelta(minutes=15)
    second = open_store(store_url)
    assert notify_findings(second, findings, policy, clock()).enqueued == 0
    assert drain_outbox(second, slack.sender(), clock).sent == 2
    second.close()

    clock.now = T0 + timedelta(minutes=30)
    third = open_store(store_url)
    assert notify_findings(third, findings, policy, clock()).enqueued == 0
    assert drain_outbox(third, slack.sender(), clock).sent == 0
    assert all(s.message_ts for s in third.alerts.load_all())
    third.close()
    assert len(slack.workspace.messages()) == 2


def test_silenced_alerts_stay_quiet_and_dry_runs_write_nothing(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    store.silences.add(
        Silence(None, RuleId.UNALIGNED, {"theme": "cx"}, T0 + timedelta(days=1), "known", T0)
    )
    findings = [unaligned("P-1", theme="cx"), unaligned("P-2")]
    preview = notify_findings(store, findings, policy, T0, dry_run=True)
    assert preview.dry_run and len(preview.messages) == 1 and preview.enqueued == 0
    assert store.outbox.depth() == 0 and store.alerts.load_all() == []

    outcome = notify_findings(store, findings, policy, T0)
    assert outcome.enqueued == 1 and outcome.firing == 2
    assert drain_outbox(store, slack.sender(), FakeClock()).sent == 1
    assert [m.channel for m in slack.workspace.messages()] == ["C0PORTFOLIO"]


def test_quiet_hours_hold_messages_in_the_outbox_until_the_window_opens(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    night = QuietWindow(start=time(19, 0), end=time(8, 0), weekends=True)
    quiet = replace(policy, routes=(RouteRule(channel="C0FLOW", quiet_hours=night),))
    friday_night = FakeClock(datetime(2026, 11, 20, 21, 0, tzinfo=UTC))  # 22:00 in Berlin
    assert notify_findings(store, [unaligned("P-1")], quiet, friday_night()).enqueued == 1
    assert drain_outbox(store, slack.sender(), friday_night).sent == 0
    assert store.outbox.depth() == 1

    monday = FakeClock(datetime(2026, 11, 23, 6, 59, tzinfo=UTC))  # 07:59 in Berlin
    assert drain_outbox(store, slack.sender(), monday).sent == 0
    monday.now += timedelta(minutes=1)
    assert drain_outbox(store, slack.sender(), monday).sent == 1
    assert [m.channel for m in slack.workspace.messages()] == ["C0FLOW"]


def test_an_alert_resolved_during_quiet_hours_is_never_announced(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    night = QuietWindow(start=time(19, 0), end=time(8, 0), weekends=True)
    quiet = replace(policy, routes=(RouteRule(channel="C0FLOW", quiet_hours=night),))
    evening = FakeClock(datetime(2026, 11, 17, 19, 30, tzinfo=UTC))  # 20:30 in Berlin, Tuesday
    notify_findings(store, [unaligned("P-1"), unaligned("P-2")], quiet, evening())
    assert drain_outbox(store, slack.sender(), evening).sent == 0  # held until 08:00

    evening.now += timedelta(hours=2)  # P-1 was fixed in the tracker; P-2 still fires
    notify_findings(store, [unaligned("P-2")], quiet, evening())
    held = [e for e in store.outbox.entries() if e.status == "pending"]
    assert held, "the group announcing P-2 still waits"

    evening.now += timedelta(hours=1)  # now P-2 is fixed too: nothing left to announce
    notify_findings(store, [], quiet, evening())
    morning = FakeClock(datetime(2026, 11, 18, 7, 0, tzinfo=UTC))  # 08:00 in Berlin
    drain_outbox(store, slack.sender(), morning)
    assert slack.workspace.messages() == []
    assert store.outbox.depth() == 0
    assert {e.status for e in store.outbox.entries()} == {"withdrawn"}


def test_a_new_store_sends_one_baseline_then_alerts_repeat_and_resolve_as_usual(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    sender = slack.sender()
    with_baseline = replace(policy, baseline_threshold=25)
    findings = [unaligned(f"P-{i}") for i in range(30)]

    first = notify_findings(store, findings, with_baseline, clock())
    assert first.enqueued == 1 and first.firing == 30
    assert drain_outbox(store, sender, clock).sent == 1
    [baseline] = slack.workspace.top_level("C0PORTFOLIO")
    assert "Portfolio baseline · 30 alerts open" in str(baseline.blocks)

    clock.now = T0 + timedelta(hours=1)  # one new alert: announced on its own
    fresh_alert = notify_findings(store, [*findings, unaligned("P-NEW")], with_baseline, clock())
    assert fresh_alert.enqueued == 1
    assert drain_outbox(store, sender, clock).sent == 1
    assert "P-NEW" in slack.workspace.top_level("C0PORTFOLIO")[-1].text

    clock.now = T0 + timedelta(hours=2)  # the baseline's alerts resolve without a message
    still = [*findings[1:], unaligned("P-NEW")]
    quiet = notify_findings(store, still, with_baseline, clock())
    assert quiet.resolved == 1 and quiet.enqueued == 0

    clock.now = T0 + timedelta(hours=24)  # and repeat after the interval, grouped as usual
    again = notify_findings(store, still, with_baseline, clock())
    assert again.enqueued == 1
    assert drain_outbox(store, sender, clock).sent == 1
    assert (
        "Work serving no active theme · 29 alerts"
        in slack.workspace.top_level("C0PORTFOLIO")[-1].text
    )
