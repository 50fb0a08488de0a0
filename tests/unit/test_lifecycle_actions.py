"""Acknowledged alerts stop repeating until they resolve or change; snoozes cover exact alerts;
the action buttons on alert messages; the digest's line about actions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lpmsync.domain.alerts import AlertState, AlertStatus, Silence, alert_signature
from lpmsync.domain.audit import AuditAction, AuditEntry, audit_summary
from lpmsync.domain.findings import Severity
from lpmsync.domain.notices import AlertEntry, RenderedMessage
from lpmsync.notify.lifecycle import is_silenced
from lpmsync.notify.render_actions import (
    ACK_ACTION,
    ACTIONS_BLOCK,
    ITEM_ACTION,
    SNOOZE_ACTION,
    STATUS_BLOCK,
    with_status,
)
from lpmsync.services.action_edits import status_lines
from tests.unit.notify_fixtures import assert_valid_blocks, finding
from tests.unit.test_lifecycle import RENDERER, T0, Memory


def acknowledge(memory: Memory, fingerprint: str, by: str = "U0PM") -> None:
    state = memory.states[fingerprint]
    memory.states[fingerprint] = replace(
        state,
        acknowledged_by=by,
        acknowledged_at=T0 + timedelta(hours=1),
        acknowledged_signature=alert_signature(state.finding),
    )


def test_an_acknowledged_alert_is_not_repeated() -> None:
    memory = Memory()
    alert, other = finding("P-1"), finding("P-2")
    memory.run([alert, other], T0)
    acknowledge(memory, alert.fingerprint)
    repeat = memory.run([alert, other], T0 + timedelta(days=1))
    [message] = repeat.messages
    assert message.alert_fingerprints == (other.fingerprint,)  # only the unacknowledged one
    later = memory.run([alert, other], T0 + timedelta(days=5)).messages
    assert [m.alert_fingerprints for m in later] == [(other.fingerprint,)]


def test_a_changed_severity_or_scope_is_news_again() -> None:
    memory = Memory()
    alert = finding("P-1", severity=Severity.WARNING)
    memory.run([alert], T0)
    acknowledge(memory, alert.fingerprint)
    worse = replace(alert, severity=Severity.CRITICAL)
    [message] = memory.run([worse], T0 + timedelta(days=1)).messages
    assert message.alert_fingerprints == (alert.fingerprint,)
    # Only counts in the message changing is not a change of what was acknowledged.
    acknowledge(memory, alert.fingerprint)
    same = replace(worse, message="P-1 needs a look (day 40)")
    assert memory.run([same], T0 + timedelta(days=3)).messages == ()


def test_a_resolved_then_refiring_alert_is_announced_and_not_acknowledged() -> None:
    memory = Memory()
    alert = finding("P-1")
    memory.run([alert], T0)
    acknowledge(memory, alert.fingerprint)
    memory.run([], T0 + timedelta(hours=2))
    assert memory.states[alert.fingerprint].status is AlertStatus.RESOLVED
    fired = memory.run([alert], T0 + timedelta(hours=3))
    assert [m.alert_fingerprints for m in fired.messages] == [(alert.fingerprint,)]
    assert memory.states[alert.fingerprint].acknowledged_at is None
    [message] = memory.run([alert], T0 + timedelta(days=2)).messages  # and repeats again
    assert message.alert_fingerprints == (alert.fingerprint,)


def test_a_snooze_silences_exactly_its_alerts() -> None:
    first, second = finding("P-1"), finding("P-2")
    snooze = Silence(
        id=1,
        rule=first.rule,
        matchers={},
        until=T0 + timedelta(days=1),
        fingerprints=frozenset({first.fingerprint}),
        author="U0PM",
    )
    assert is_silenced(first, [snooze]) and not is_silenced(second, [snooze])
    fired = Memory().run([first, second], T0, silences=[snooze])
    assert [m.alert_fingerprints for m in fired.messages] == [(second.fingerprint,)]


def test_alert_messages_carry_buttons_and_a_menu_per_item() -> None:
    alerts = [finding("P-1"), finding("P-2")]
    memory = Memory()
    [message] = memory.run(alerts, T0).messages
    assert_valid_blocks(message.blocks)
    blocks: Any = json.loads(json.dumps(message.blocks))
    actions = [b for b in blocks if b.get("block_id") == ACTIONS_BLOCK]
    assert len(actions) == 1
    ids = [e["action_id"] for e in actions[0]["elements"]]
    assert ids == [ACK_ACTION, SNOOZE_ACTION]  # two items: their links are in their menus
    menus = [b["accessory"] for b in blocks if "accessory" in b]
    assert [m["action_id"] for m in menus] == [ITEM_ACTION, ITEM_ACTION]
    values = [o["value"] for o in menus[0]["options"]]
    fp = alerts[0].fingerprint
    assert values == [f"ack:{fp}", f"1d:{fp}", f"1w:{fp}", f"date:{fp}", f"open:{fp}"]


def test_one_alert_gets_an_open_in_tracker_button() -> None:
    [message] = Memory().run([finding("P-7")], T0).messages
    blocks: Any = json.loads(json.dumps(message.blocks))
    [actions] = [b for b in blocks if b.get("block_id") == ACTIONS_BLOCK]
    assert actions["elements"][-1]["url"] == "https://jira.example/browse/P-7"


def test_status_goes_above_the_buttons_and_replaces_an_earlier_one() -> None:
    [part] = RENDERER.alert_group("unaligned", [AlertEntry(finding("P-1"), T0)], [])
    message = RenderedMessage(part.text, part.blocks)
    once = with_status(message, ["Acknowledged by <@U0PM>"])
    twice = with_status(once, ["Snoozed by <@U0PM>"])
    statuses = [b for b in twice.blocks if b.get("block_id") == STATUS_BLOCK]
    assert len(statuses) == 1 and "Snoozed" in str(statuses[0])
    kinds = [b.get("block_id") for b in twice.blocks][-2:]
    assert kinds == [STATUS_BLOCK, ACTIONS_BLOCK]
    assert_valid_blocks(twice.blocks)


def test_audit_summary_counts_distinct_alerts() -> None:
    def entry(action: AuditAction, *fps: str) -> AuditEntry:
        return AuditEntry(at=T0, actor="U0PM", action=action, origin="slack", fingerprints=fps)

    entries = [
        entry(AuditAction.ACKNOWLEDGE, "a", "b"),
        entry(AuditAction.ACKNOWLEDGE, "b", "c"),
        entry(AuditAction.SNOOZE, "d"),
        entry(AuditAction.SNOOZE, "e"),
        entry(AuditAction.SILENCE_ADD),
    ]
    assert audit_summary(entries) == "3 alerts acknowledged, 2 snoozed this week"
    assert audit_summary(entries[:1]) == "2 alerts acknowledged this week"
    assert audit_summary(entries[2:3]) == "1 alert snoozed this week"
    assert audit_summary(entries[4:]) is None


def test_the_digest_shows_the_actions_line() -> None:
    from lpmsync.domain.digest import Digest
    from lpmsync.notify.render_digest import render_digest

    line = "3 alerts acknowledged, 2 snoozed this week"
    digest = Digest("Acme", T0, T0 - timedelta(days=7), (), actions_summary=line)
    [message] = render_digest(digest, charts=False)
    assert line in json.dumps(message.blocks)
    [quiet] = render_digest(replace(digest, actions_summary=None), charts=False)
    assert "acknowledged" not in json.dumps(quiet.blocks)


def test_a_single_alerts_status_keeps_the_mention_and_the_zone_as_they_are() -> None:
    alert = finding("P-1")
    state = AlertState(alert.fingerprint, alert.rule, AlertStatus.FIRING, alert, T0, T0)
    snooze = Silence(
        id=1,
        rule=alert.rule,
        matchers={},
        until=T0 + timedelta(days=7),
        fingerprints=frozenset({alert.fingerprint}),
        author="U0PM",
    )
    [line] = status_lines([state], [snooze], ZoneInfo("Europe/Berlin"))
    assert line.startswith("Snoozed by <@U0PM> until ") and line.endswith(" CET")
