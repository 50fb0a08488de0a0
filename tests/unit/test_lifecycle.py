"""The alert lifecycle: fire → (quiet) → repeat after the interval → resolve; silences;
quiet hours; grouping; owner mentions; stable dedup keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from lpmsync.domain.alerts import AlertState, AlertStatus, MessageKind, OutgoingMessage, Silence
from lpmsync.domain.findings import Finding, RuleId
from lpmsync.domain.routing import QuietWindow, RouteRule, RoutingPolicy
from lpmsync.notify.lifecycle import LifecycleResult, evaluate, is_silenced
from lpmsync.notify.render import SlackRenderer
from tests.unit.notify_fixtures import all_text, assert_valid_blocks, finding, scope_finding

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday
POLICY = RoutingPolicy(
    default_channel="C_DEFAULT",
    routes=(
        RouteRule(channel="C_FLOW", rules=frozenset({RuleId.WIP_BREACH}), mention_owner=False),
    ),
    owners={"cx": "U0CXOWNER"},
    theme_names={"cx": "Customer Experience"},
    baseline_threshold=None,  # the baseline has tests of its own (test_baseline.py)
)
RENDERER = SlackRenderer(theme_names=POLICY.theme_names)


class Memory:
    """What the store and the sender would do between runs: keep states, record message ts."""

    def __init__(self) -> None:
        self.states: dict[str, AlertState] = {}
        self.next_ts = 1

    def run(
        self,
        findings: Sequence[Finding],
        now: datetime,
        *,
        silences: Sequence[Silence] = (),
        policy: RoutingPolicy = POLICY,
        deliver: bool = True,
    ) -> LifecycleResult:
        result = evaluate(
            findings,
            list(self.states.values()),
            silences=silences,
            policy=policy,
            now=now,
            renderer=RENDERER,
        )
        self.states.update((state.fingerprint, state) for state in result.states)
        if deliver:
            for message in result.messages:
                self._deliver(message)
        return result

    def _deliver(self, message: OutgoingMessage) -> None:
        if message.kind is MessageKind.POST and message.target_ts is None:
            ts = f"1700000000.{self.next_ts:06d}"
            self.next_ts += 1
            for fp in message.alert_fingerprints:
                self.states[fp] = replace(self.states[fp], channel=message.channel, message_ts=ts)


def test_fire_then_quiet_then_repeat_after_interval_then_resolve() -> None:
    memory = Memory()
    alert = finding("P-1", theme="cx")
    fired = memory.run([alert], T0)
    [post] = fired.messages
    assert post.kind is MessageKind.POST and post.channel == "C_DEFAULT"
    assert post.alert_fingerprints == (alert.fingerprint,) and post.target_ts is None
    assert post.not_before is None
    assert_valid_blocks(post.blocks)
    [state] = fired.states
    assert (state.status, state.first_seen, state.last_notified) == (AlertStatus.FIRING, T0, T0)

    assert memory.run([alert], T0 + timedelta(hours=23, minutes=59)).messages == ()
    assert memory.states[alert.fingerprint].last_seen == T0 + timedelta(hours=23, minutes=59)

    [repeat] = memory.run([alert], T0 + timedelta(hours=24)).messages
    assert repeat.kind is MessageKind.POST and repeat.dedup_key != post.dedup_key
    assert "Still open since 2026-11-16 09:00 UTC" in all_text_of(repeat)
    assert memory.states[alert.fingerprint].message_ts == "1700000000.000002"

    resolved_at = T0 + timedelta(hours=30)
    update, reply = memory.run([], resolved_at).messages
    assert update.kind is MessageKind.UPDATE and update.target_ts == "1700000000.000002"
    assert update.channel == "C_DEFAULT" and update.text.startswith("✅")
    assert reply.kind is MessageKind.POST and reply.target_ts == "1700000000.000002"
    assert reply.text.startswith("Resolved: P-1") and reply.alert_fingerprints == ()
    gone = memory.states[alert.fingerprint]
    assert (gone.status, gone.resolved_at) == (AlertStatus.RESOLVED, resolved_at)
    assert memory.run([], resolved_at + timedelta(hours=1)).messages == ()


def all_text_of(message: OutgoingMessage) -> str:
    from lpmsync.domain.notices import RenderedMessage

    return all_text(RenderedMessage(message.text, message.blocks))


def test_resolving_an_alert_that_was_never_sent_only_marks_it_resolved() -> None:
    memory = Memory()
    memory.run([finding("P-1")], T0, deliver=False)
    result = memory.run([], T0 + timedelta(hours=1))
    assert result.messages == ()
    assert result.states[0].status is AlertStatus.RESOLVED


def test_a_resolved_alert_that_returns_fires_again_as_a_new_episode() -> None:
    memory = Memory()
    alert = finding("P-1")
    [first] = memory.run([alert], T0).messages
    memory.run([], T0 + timedelta(hours=1))
    [again] = memory.run([alert], T0 + timedelta(hours=2)).messages
    assert again.dedup_key != first.dedup_key
    state = memory.states[alert.fingerprint]
    assert state.first_seen == T0 + timedelta(hours=2) and state.resolved_at is None


def test_running_twice_at_the_same_moment_yields_the_same_keys() -> None:
    findings = [finding("P-1"), finding("P-2"), scope_finding()]
    first = Memory().run(findings, T0)
    second = Memory().run(list(reversed(findings)), T0)
    assert [m.dedup_key for m in first.messages] == [m.dedup_key for m in second.messages]
    memory = Memory()
    memory.run(findings, T0)
    assert memory.run(findings, T0).messages == ()


def test_a_crash_before_states_are_saved_re_enqueues_the_same_keys_later() -> None:
    findings = [finding("P-1"), finding("P-2")]
    lost = evaluate(findings, [], silences=(), policy=POLICY, now=T0, renderer=RENDERER)
    retry = evaluate(
        findings, [], silences=(), policy=POLICY, now=T0 + timedelta(minutes=15), renderer=RENDERER
    )
    assert [m.dedup_key for m in lost.messages] == [m.dedup_key for m in retry.messages]

    memory = Memory()
    memory.run(findings, T0)
    before = dict(memory.states)
    keys = [m.dedup_key for m in memory.run([], T0 + timedelta(hours=1)).messages]
    memory.states = before  # the resolution was enqueued but the states were never saved
    again = [m.dedup_key for m in memory.run([], T0 + timedelta(hours=2)).messages]
    assert len(keys) == 2 and again == keys


def test_alerts_group_per_rule_and_route_with_owner_mentions() -> None:
    findings = [
        finding("P-1", theme="cx"),
        finding("P-2", theme="cx"),
        finding("P-3", rule=RuleId.AGING),
        scope_finding("Implementing"),
        scope_finding("Analyzing"),
    ]
    result = Memory().run(findings, T0)
    by_rule = {m.alert_fingerprints[0].split(":")[0]: m for m in result.messages}
    assert len(result.messages) == 3
    assert by_rule["unaligned"].alert_fingerprints == ("unaligned:jira:P-1", "unaligned:jira:P-2")
    assert "<@U0CXOWNER>" in all_text_of(by_rule["unaligned"])
    assert "<@U0CXOWNER>" not in all_text_of(by_rule["aging"])
    assert by_rule["wip-breach"].channel == "C_FLOW"
    assert len(by_rule["wip-breach"].alert_fingerprints) == 2


def test_routes_that_turn_mentions_off_mention_nobody() -> None:
    quiet_owner = RoutingPolicy(
        default_channel="C_DEFAULT",
        owners={"cx": "U0CXOWNER"},
        default_mention_owner=False,
        baseline_threshold=None,
    )
    [message] = Memory().run([finding("P-1", theme="cx")], T0, policy=quiet_owner).messages
    assert "<@" not in all_text_of(message)


def test_a_long_group_is_one_message_that_remembers_every_alert_it_sums_up() -> None:
    findings = [finding(f"P-{i:03d}", title="t" * 2000) for i in range(120)]
    memory = Memory()
    [message] = memory.run(findings, T0).messages
    assert sorted(message.alert_fingerprints) == sorted(f.fingerprint for f in findings)
    assert "and 110 more" in all_text_of(message)
    assert len({s.message_ts for s in memory.states.values()}) == 1
    update, reply = memory.run(findings[1:], T0 + timedelta(hours=1)).messages
    assert update.target_ts == reply.target_ts == memory.states["unaligned:jira:P-000"].message_ts


def test_resolving_part_of_a_group_edits_it_and_replies_only_for_what_resolved() -> None:
    memory = Memory()
    memory.run([finding("P-1"), finding("P-2")], T0)
    update, reply = memory.run([finding("P-2")], T0 + timedelta(hours=1)).messages
    text = all_text_of(update)
    assert "~*<https://jira.example/browse/P-1|Epic P-1 · An epic>*~" in text
    assert "~*<https://jira.example/browse/P-2|" not in text and "P-2" in text
    assert "1 of 2 resolved" in update.text
    assert reply.text == "Resolved: P-1"
    update2, reply2 = memory.run([], T0 + timedelta(hours=2)).messages
    assert "2 of 2 resolved" in update2.text and reply2.text == "Resolved: P-2"
    assert update2.dedup_key != update.dedup_key and update2.target_ts == update.target_ts


def test_silenced_alerts_are_tracked_not_sent_and_fire_when_the_silence_ends() -> None:
    memory = Memory()
    silence = Silence(
        id=1, rule=RuleId.UNALIGNED, matchers={"theme": "cx"}, until=T0 + timedelta(days=2)
    )
    muted, loud = finding("P-1", theme="cx"), finding("P-2", theme="data")
    result = memory.run([muted, loud], T0, silences=[silence])
    [message] = result.messages
    assert message.alert_fingerprints == (loud.fingerprint,)
    assert memory.states[muted.fingerprint].last_notified is None
    assert memory.run([muted, loud], T0 + timedelta(hours=12), silences=[silence]).messages == ()
    [late] = memory.run([muted, loud], T0 + timedelta(days=2), silences=[silence]).messages
    assert late.alert_fingerprints == (muted.fingerprint, loud.fingerprint)
    assert "1 new, 1 still open" in all_text_of(late)


def test_a_silenced_resolution_edits_the_message_but_posts_no_reply() -> None:
    memory = Memory()
    memory.run([finding("P-1", theme="cx")], T0)
    silence = Silence(id=1, rule=RuleId.UNALIGNED, matchers={}, until=T0 + timedelta(days=1))
    [update] = memory.run([], T0 + timedelta(hours=1), silences=[silence]).messages
    assert update.kind is MessageKind.UPDATE


def test_silence_matchers_must_all_match_and_expired_silences_do_nothing() -> None:
    alert = finding("P-1", theme="cx", value_stream="payments")
    matching = Silence(1, RuleId.UNALIGNED, {"theme": "cx", "key": "P-1", "level": "epic"}, T0)
    assert is_silenced(alert, [matching])
    assert not is_silenced(alert, [replace(matching, matchers={"theme": "cx", "key": "P-2"})])
    assert not is_silenced(alert, [replace(matching, rule=RuleId.AGING)])
    assert not is_silenced(alert, [replace(matching, matchers={"colour": "red"})])
    expired = replace(matching, until=T0 + timedelta(days=1), expired_at=T0 - timedelta(hours=1))
    [message] = Memory().run([alert], T0, silences=[expired]).messages
    assert message.alert_fingerprints == (alert.fingerprint,)


def test_quiet_hours_hold_posts_of_their_route_until_the_window_ends() -> None:
    night = QuietWindow(start=time(19, 0), end=time(8, 0), weekends=True)
    policy = RoutingPolicy(
        default_channel="C_DEFAULT",
        routes=(
            RouteRule(channel="C_FLOW", rules=frozenset({RuleId.WIP_BREACH}), quiet_hours=night),
        ),
        timezone="Europe/Berlin",
        baseline_threshold=None,
    )
    memory = Memory()
    friday_night = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    fired = memory.run([scope_finding(), finding("P-1")], friday_night, policy=policy).messages
    by_channel = {m.channel: m for m in fired}
    assert by_channel["C_FLOW"].not_before == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert by_channel["C_DEFAULT"].not_before is None
    later = friday_night + timedelta(hours=1)
    update, reply = memory.run([finding("P-1")], later, policy=policy).messages
    assert update.not_before is None  # an edit pings nobody
    assert reply.not_before == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_a_changed_finding_updates_the_state_without_a_new_message() -> None:
    memory = Memory()
    memory.run([scope_finding(count=7)], T0)
    result = memory.run([scope_finding(count=9)], T0 + timedelta(hours=1))
    assert result.messages == ()
    assert result.states[0].finding.evidence["count"] == 9
