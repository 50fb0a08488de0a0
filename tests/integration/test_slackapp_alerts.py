"""The Slack app's buttons, menus and modal, driven through the sandbox's Socket Mode as Slack
delivers them: acknowledge, snooze (1 day, 1 week, a date), per item, not allowed, resolved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lpmsync.domain.audit import AuditAction
from lpmsync.domain.sync import SyncPage
from lpmsync.notify.render_actions import ACK_ACTION, ITEM_ACTION, SNOOZE_ACTION
from lpmsync.slackapp.alerts import DATE_ACTION
from lpmsync.slackapp.context import NOT_ALLOWED
from tests.integration.notify_support import work_item
from tests.integration.slackapp_support import PM, STRANGER, Harness, running_app, wait_for


@pytest.fixture
def app(tmp_path: Path, store_url: str) -> Iterator[Harness]:
    yield from running_app(tmp_path, store_url)


def blocks_text(harness: Harness, key: str) -> str:
    return json.dumps(harness.alert_message(key).blocks)


def test_acknowledge_edits_the_message_and_stops_the_repeat(app: Harness) -> None:
    message = app.alert_message("P-1")
    posts = app.calls("chat.postMessage")
    envelope = app.people.click(PM, message.channel, message.ts, ACK_ACTION)
    assert envelope.ack is not None  # acked within Slack's 3 seconds
    reply = wait_for(lambda: app.workspace.interactive.ephemerals(PM))
    assert reply[0].via == "response_url" and reply[0].text.startswith("Acknowledged P-1")
    edited = wait_for(lambda: app.workspace.message(message.channel, message.ts).edits)  # type: ignore[union-attr]
    assert edited == 1
    assert "Acknowledged by <@U0PM> at 2026-11-16 10:00 CET" in blocks_text(app, "P-1")
    assert app.calls("chat.update") == 1
    app.clock.now += timedelta(days=2)  # past the repeat interval
    app.check()
    assert app.calls("chat.postMessage") > posts  # other alerts repeat …
    assert len([m for m in app.workspace.top_level() if "P-1" in m.text]) == 1  # … not these
    [entry] = app.store.audit.since()
    assert (entry.action, entry.actor, entry.message_ts) == (
        AuditAction.ACKNOWLEDGE,
        PM,
        message.ts,
    )


@pytest.mark.parametrize(("choice", "days"), [("1d", 1), ("1w", 7)])
def test_snooze_menu_silences_exactly_the_message_alerts(
    app: Harness, choice: str, days: int
) -> None:
    message = app.alert_message("P-1")
    app.people.click(PM, message.channel, message.ts, SNOOZE_ACTION, option=f"group:{choice}")
    [silence] = wait_for(lambda: app.store.silences.active(app.clock()))
    assert silence.author == PM and silence.until == app.clock() + timedelta(days=days)
    on_message = app.store.alerts.on_message(message.channel, message.ts)
    assert silence.fingerprints == {s.fingerprint for s in on_message}
    wait_for(lambda: "Snoozed by <@U0PM> until" in blocks_text(app, "P-1"))
    [entry] = app.store.audit.since()
    assert entry.action is AuditAction.SNOOZE and entry.detail["silence"] == silence.id


def test_per_item_menu_acts_on_one_alert(app: Harness) -> None:
    message = app.alert_message("P-1")
    states = app.store.alerts.on_message(message.channel, message.ts)
    one = next(s for s in states if s.finding.subject and s.finding.subject.key == "P-1")
    app.people.click(PM, message.channel, message.ts, ITEM_ACTION, option=f"ack:{one.fingerprint}")
    wait_for(lambda: app.workspace.interactive.ephemerals(PM))
    acked = {s.fingerprint for s in app.store.alerts.load_open() if s.acknowledged_by == PM}
    assert acked == {one.fingerprint}
    assert "P-1: acknowledged by <@U0PM>" in wait_for(lambda: blocks_text(app, "P-1"))


def test_snooze_until_a_picked_date_through_a_modal(app: Harness) -> None:
    message = app.alert_message("P-1")
    app.people.click(PM, message.channel, message.ts, SNOOZE_ACTION, option="group:date")
    [modal] = wait_for(lambda: app.workspace.interactive.modals(PM))
    too_early = app.people.submit(PM, modal["id"], {DATE_ACTION: "2026-11-01"})
    assert too_early.ack is not None
    assert too_early.ack["payload"]["response_action"] == "errors"
    assert app.store.silences.list_all() == []
    done = app.people.submit(PM, modal["id"], {DATE_ACTION: "2026-11-30"})
    assert done.ack is not None and "payload" not in done.ack
    [silence] = wait_for(lambda: app.store.silences.active(app.clock()))
    assert silence.until.isoformat() == "2026-11-30T23:00:00+00:00"  # end of that day, Berlin
    reply = wait_for(lambda: app.workspace.interactive.ephemerals(PM))
    assert reply[0].via == "chat.postEphemeral" and "until 2026-12-01 00:00 CET" in reply[0].text


def test_someone_not_allowed_changes_nothing(app: Harness) -> None:
    message = app.alert_message("P-1")
    app.people.click(STRANGER, message.channel, message.ts, ACK_ACTION)
    app.people.click(STRANGER, message.channel, message.ts, SNOOZE_ACTION, option="group:1w")
    wait_for(lambda: len(app.workspace.interactive.ephemerals(STRANGER)) == 2)
    replies = app.workspace.interactive.ephemerals(STRANGER)
    assert [r.text for r in replies] == [NOT_ALLOWED, NOT_ALLOWED]
    assert app.store.silences.list_all() == [] and app.store.audit.since() == []
    assert all(s.acknowledged_at is None for s in app.store.alerts.load_all())
    assert app.workspace.message(message.channel, message.ts).edits == 0  # type: ignore[union-attr]


def test_an_alert_resolved_meanwhile_is_reported_not_silenced(app: Harness) -> None:
    message = app.alert_message("P-1")
    app.store.items.apply_page("jira", _only_p3(), app.clock())
    app.check(send=False)  # resolved; its edit still waits in the outbox
    app.people.click(PM, message.channel, message.ts, SNOOZE_ACTION, option="group:1w")
    [reply] = wait_for(lambda: app.workspace.interactive.ephemerals(PM))
    assert "Already resolved, left as is: P-1, P-2" in reply.text
    assert app.store.silences.list_all() == [] and app.store.audit.since() == []


def _only_p3() -> SyncPage:
    """A sync after which P-1 and P-2 are gone from the tracker."""
    return SyncPage(items=(work_item("P-3", labels=("cx",)),), scope=frozenset({"P-3"}))


def test_members_of_an_allowed_user_group_may_act(tmp_path: Path, sqlite_url: str) -> None:
    lead = "U0LEAD"
    harness = running_app(tmp_path, sqlite_url, allowed="S0LEADS")
    app = next(harness)
    try:
        app.workspace.interactive.add_group("S0LEADS", [lead])
        message = app.alert_message("P-1")
        app.people.click(lead, message.channel, message.ts, ACK_ACTION)
        [reply] = wait_for(lambda: app.workspace.interactive.ephemerals(lead))
        assert reply.text.startswith("Acknowledged P-1")
        app.people.click(STRANGER, message.channel, message.ts, ACK_ACTION)
        [refused] = wait_for(lambda: app.workspace.interactive.ephemerals(STRANGER))
        assert refused.text == NOT_ALLOWED
        assert app.calls("usergroups.users.list") == 1  # members are cached for five minutes
    finally:
        harness.close()  # type: ignore[attr-defined]


def test_a_slack_outage_keeps_the_action_and_queues_the_edit(app: Harness) -> None:
    from lpmsync.domain.alerts import MessageKind
    from lpmsync.sandbox.knobs import Knobs
    from lpmsync.services.send import drain_outbox

    message = app.alert_message("P-1")
    app.server.knobs = Knobs(error_rate=1.0)  # every Web API call now answers 500 or 503
    app.people.click(PM, message.channel, message.ts, SNOOZE_ACTION, option="group:1w")

    def edit_waiting() -> bool:
        entries = [e for e in app.store.outbox.entries() if e.message.kind is MessageKind.UPDATE]
        return bool(entries) and entries[0].attempts >= 1 and entries[0].status.value == "pending"

    wait_for(edit_waiting)
    assert len(app.store.silences.active(app.clock())) == 1  # the snooze holds
    assert [e.action for e in app.store.audit.since()] == [AuditAction.SNOOZE]
    assert app.workspace.message(message.channel, message.ts).edits == 0  # type: ignore[union-attr]
    app.server.knobs = Knobs()  # Slack is back: the next drain sends the edit
    app.clock.now += timedelta(minutes=30)
    drain_outbox(app.store, app.sender(), app.clock)
    assert "Snoozed by <@U0PM> until" in blocks_text(app, "P-1")
