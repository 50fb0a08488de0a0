"""An announcement reflects the truth when it goes out: an alert that resolved while its
announcement waited (Slack down, a sender holding it, a check racing the sender) gets its
announcement edited and a reply in its thread, exactly once, whatever the order of events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lpmsync.domain.alerts import AlertStatus
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.notify.lifecycle import evaluate
from lpmsync.notify.render import SlackRenderer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.services.notify import notify_findings, routing_policy
from lpmsync.services.send import drain_outbox
from lpmsync.store import SqlStore
from tests.integration.notify_support import T0, FakeClock, Slack, fresh, serve_slack, settings_for
from tests.integration.test_notify_flow import unaligned


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def policy(tmp_path: Path, slack: Slack) -> RoutingPolicy:
    return routing_policy(settings_for(tmp_path, slack.base_url))


def assert_corrected_once(
    store: SqlStore, slack: Slack, policy: RoutingPolicy, clock: FakeClock
) -> None:
    """The one announcement shows P-1 resolved, its thread says so once, and later checks
    change nothing."""
    [announcement] = slack.workspace.top_level()
    assert announcement.edits == 1
    assert "1 of 2 resolved" in announcement.text
    [reply] = slack.workspace.replies(announcement.channel, announcement.ts)
    assert "P-1" in reply.text
    clock.sleep(15 * 60)
    assert notify_findings(store, [unaligned("P-2")], policy, clock()).enqueued == 0
    assert drain_outbox(store, slack.sender(), clock).sent == 0
    states = {s.fingerprint: s for s in store.alerts.load_all()}
    assert states["unaligned:jira:P-1"].status is AlertStatus.RESOLVED
    assert states["unaligned:jira:P-1"].message_ts == announcement.ts
    assert store.alerts.corrections_due() == []


def test_an_alert_resolved_while_slack_was_down_is_corrected_after_the_announcement(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    findings = [unaligned("P-1"), unaligned("P-2")]
    assert notify_findings(store, findings, policy, clock()).enqueued == 1  # one group message
    slack.server.knobs = Knobs(error_rate=1.0)  # Slack is down
    assert drain_outbox(store, slack.sender(), clock).sent == 0
    clock.sleep(15 * 60)
    notify_findings(store, [unaligned("P-2")], policy, clock())  # P-1 fixed meanwhile
    slack.server.knobs = Knobs()  # Slack is back: the waiting group goes out as it was
    clock.sleep(15 * 60)
    assert drain_outbox(store, slack.sender(), clock).sent == 1
    [alert] = [a for a in store.alerts.corrections_due() if a.fingerprint.endswith("P-1")]
    clock.sleep(15 * 60)
    assert notify_findings(store, [unaligned("P-2")], policy, clock()).enqueued == 2
    assert drain_outbox(store, slack.sender(), clock).sent == 2  # the edit and the reply
    assert alert.message_ts == slack.workspace.top_level()[0].ts
    assert_corrected_once(store, slack, policy, clock)


def test_an_alert_resolved_while_a_sender_held_its_announcement_is_corrected(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    notify_findings(store, [unaligned("P-1"), unaligned("P-2")], policy, clock())
    [held] = store.outbox.claim(clock(), worker="busy-sender")  # in flight: not withdrawable
    clock.sleep(5)
    notify_findings(store, [unaligned("P-2")], policy, clock())
    landed = slack.sender().send(held.message)
    store.outbox.mark_sent(held.id, landed.channel, landed.ts, clock())
    clock.sleep(15 * 60)
    assert notify_findings(store, [unaligned("P-2")], policy, clock()).enqueued == 2
    assert drain_outbox(store, slack.sender(), clock).sent == 2
    assert_corrected_once(store, slack, policy, clock)


def test_a_check_that_read_the_alerts_before_the_sender_recorded_the_message(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    notify_findings(store, [unaligned("P-1"), unaligned("P-2")], policy, clock())
    clock.sleep(15 * 60)
    stale = store.alerts.load_all()  # the check reads: no message known yet
    assert drain_outbox(store, slack.sender(), clock).sent == 1  # the sender records it
    result = evaluate(
        [unaligned("P-2")],
        stale,
        silences=(),
        policy=policy,
        now=clock(),
        renderer=SlackRenderer(),
    )
    assert store.outbox.enqueue(result.messages, clock()) == 0  # it saw nothing to edit
    store.alerts.save(result.states)  # ...and saves P-1 resolved: the correction is now due
    clock.sleep(15 * 60)
    assert notify_findings(store, [unaligned("P-2")], policy, clock()).enqueued == 2
    assert drain_outbox(store, slack.sender(), clock).sent == 2
    assert_corrected_once(store, slack, policy, clock)


def test_a_normal_resolution_is_not_corrected_twice(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock(T0)
    notify_findings(store, [unaligned("P-1"), unaligned("P-2")], policy, clock())
    drain_outbox(store, slack.sender(), clock)
    clock.sleep(15 * 60)
    assert notify_findings(store, [unaligned("P-2")], policy, clock()).enqueued == 2
    drain_outbox(store, slack.sender(), clock)
    assert store.alerts.corrections_due() == []
    clock.now = T0 + timedelta(hours=1)
    assert_corrected_once(store, slack, policy, clock)


def test_an_announcement_that_may_be_in_slack_is_not_withdrawn_but_found_and_corrected(
    store: SqlStore, slack: Slack, policy: RoutingPolicy
) -> None:
    clock = FakeClock()
    notify_findings(store, [unaligned("P-1"), unaligned("P-2")], policy, clock())
    [held] = store.outbox.claim(clock(), worker="killed-sender")
    store.outbox.start_attempt(held.id, clock())
    slack.sender().send(held.message)  # Slack posted it; the sender died before recording it
    clock.sleep(15 * 60)  # its lease is long gone
    notify_findings(store, [], policy, clock())  # both alerts resolve
    assert store.outbox.depth() == 1  # not withdrawn: it may be in Slack (it is)
    summary = drain_outbox(store, slack.sender(), clock)
    assert (summary.sent, summary.adopted) == (0, 1)
    clock.sleep(15 * 60)
    assert notify_findings(store, [], policy, clock()).enqueued == 2
    drain_outbox(store, slack.sender(), clock)
    [announcement] = slack.workspace.top_level()
    assert announcement.edits == 1 and "2 of 2 resolved" in announcement.text
    assert len(slack.workspace.replies(announcement.channel, announcement.ts)) == 1
