"""Delivery whose earlier attempt's outcome is unknown, Slack's size refusal, leases, stops and
the "next attempt" report: against the sandbox Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from lpmsync.domain.alerts import OutgoingMessage
from lpmsync.notify.slack import Delivery, SlackSender
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import DEFAULT_SCOPES, SlackWorkspace
from lpmsync.sandbox.slack_blocks import MAX_BLOCKS_TEXT, blocks_text_length
from lpmsync.services.clock import utc_now
from lpmsync.services.send import drain_outbox
from lpmsync.services.stopping import StopRequest
from lpmsync.store import SqlStore
from lpmsync.store.outbox_rows import OutboxStatus
from tests.integration.test_outbox_alerts_snapshots import alert_state
from tests.integration.test_outbox_drain import FakeClock, make_sender, post


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as running:
        yield workspace, running


@pytest.fixture
def sender(server: SandboxServer) -> SlackSender:
    return make_sender(server)


@pytest.fixture
def clock(now: datetime) -> FakeClock:
    return FakeClock(now)


def crash_after_sending(
    store: SqlStore, sender: SlackSender, clock: FakeClock, key: str
) -> Delivery:
    """What a sender killed between Slack's answer and the outbox update leaves behind."""
    [entry] = [e for e in store.outbox.claim(clock(), worker="dead") if e.message.dedup_key == key]
    store.outbox.start_attempt(entry.id, clock())
    parent = None
    if entry.parent_channel is not None and entry.parent_ts is not None:
        parent = Delivery(entry.parent_channel, entry.parent_ts)
    return sender.send(entry.message, parent)  # Slack posts it; the answer is never recorded


def test_a_post_whose_answer_was_lost_is_found_in_the_history_not_posted_again(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    store.alerts.save([alert_state("fp1")])
    store.outbox.enqueue([post("fire:fp1", alert_fingerprints=("fp1",))], clock())
    landed = crash_after_sending(store, sender, clock, "fire:fp1")
    assert drain_outbox(store, sender, clock).sent == 0  # the dead sender's lease holds
    clock.advance(seconds=61)  # a minute: the lease has lapsed
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.adopted, summary.pending) == (0, 1, 0)
    assert [m.ts for m in workspace.messages()] == [landed.ts]  # once, not twice
    entry = store.outbox.find("fire:fp1")
    assert entry is not None and (entry.status, entry.sent_ts) == (OutboxStatus.SENT, landed.ts)
    assert entry.attempt_started_at is None
    [alert] = store.alerts.load_all()
    assert alert.message_ts == landed.ts  # its resolution will edit the right message
    counts = server.log.counts()
    assert (counts["POST chat.postMessage"], counts["POST conversations.history"]) == (1, 1)
    assert "already in Slack" in summary.line()


def test_a_thread_reply_whose_answer_was_lost_is_found_in_its_thread(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    store.outbox.enqueue([post("digest"), post("digest:2", parent_key="digest")], clock())
    drain_outbox(store, sender, clock, limit=1)
    landed = crash_after_sending(store, sender, clock, "digest:2")
    clock.advance(seconds=61)
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.adopted) == (0, 1)
    [top] = workspace.top_level()
    assert [m.ts for m in workspace.replies(top.channel, top.ts)] == [landed.ts]
    assert server.log.counts()["POST conversations.replies"] == 1


def test_an_attempt_that_never_reached_slack_is_posted_once_after_the_check(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    store.outbox.enqueue([post("a")], clock())
    [entry] = store.outbox.claim(clock(), worker="dead")
    store.outbox.start_attempt(entry.id, clock())  # died before the request left
    clock.advance(seconds=61)
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.adopted) == (1, 0)
    assert len(workspace.messages()) == 1
    assert server.log.counts()["POST conversations.history"] == 1


def test_a_5xx_leaves_the_outcome_open_and_a_429_does_not(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    store.outbox.enqueue([post("a"), post("b")], clock())
    server.knobs = Knobs(fail_next=[500])
    summary = drain_outbox(store, sender, clock)
    assert summary.retried == 1
    entry = store.outbox.find("a")
    assert entry is not None and entry.attempt_started_at is not None  # Slack may have it
    assert (summary.waiting, summary.next_attempt) == (1, clock() + timedelta(seconds=30))
    assert summary.status != "ok" and "next attempt at" in summary.line()
    clock.advance(seconds=30)
    assert drain_outbox(store, sender, clock).sent == 2
    assert server.log.counts()["POST conversations.history"] == 1  # looked for "a" first
    store.outbox.enqueue([post("c")], clock())
    server.knobs = Knobs(fail_next=[429], retry_after_seconds=60)
    drain_outbox(store, sender, clock)
    entry = store.outbox.find("c")
    assert entry is not None and entry.attempt_started_at is None  # a 429 was not processed
    clock.advance(seconds=60)
    assert drain_outbox(store, sender, clock).sent == 1
    assert server.log.counts()["POST conversations.history"] == 1
    assert len(workspace.messages()) == 3


def test_without_the_history_scope_the_message_is_posted_again_and_counted(
    store: SqlStore, clock: FakeClock
) -> None:
    scopes = DEFAULT_SCOPES - {"channels:history", "groups:history"}
    workspace = SlackWorkspace(scopes=scopes)
    with SandboxServer(workspace.router) as server:
        sender = make_sender(server)
        store.outbox.enqueue([post("a")], clock())
        crash_after_sending(store, sender, clock, "a")
        clock.advance(seconds=61)
        summary = drain_outbox(store, sender, clock)
        assert (summary.sent, summary.reposted, summary.status) == (1, 1, "ok")
        assert len(workspace.messages()) == 2  # the documented fallback: at most one duplicate
        assert "posted again unchecked" in summary.line()


def big_alert_group(alerts: int, chars: int) -> OutgoingMessage:
    header = {"type": "header", "text": {"type": "plain_text", "text": "🟠 Aging: many alerts"}}
    lead = {"type": "context", "elements": [{"type": "mrkdwn", "text": "rule `aging`"}]}
    sections = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*P-{n}* " + "x" * (chars - 6)}}
        for n in range(alerts)
    ]
    return post(
        "alert:aging:C0PORTFOLIO:big",
        blocks=(header, lead, *sections),
        alert_fingerprints=tuple(f"fp{n}" for n in range(alerts)),
    )


def test_a_14000_character_alert_group_is_delivered_in_parts(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    message = big_alert_group(alerts=40, chars=350)
    assert blocks_text_length(list(message.blocks)) > 14_000 > MAX_BLOCKS_TEXT
    store.alerts.save([alert_state(f"fp{n}") for n in range(40)])
    store.outbox.enqueue([message], clock())
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.split, summary.failed) == (2, 1, 0)
    first, second = workspace.top_level()
    assert all(blocks_text_length(list(m.blocks)) <= MAX_BLOCKS_TEXT for m in (first, second))
    assert "(continued)" in str(second.blocks[0])
    assert len(first.blocks) + len(second.blocks) == len(message.blocks) + 1  # header twice
    where = {a.fingerprint: a.message_ts for a in store.alerts.load_all()}
    assert {where[f"fp{n}"] for n in range(20)} == {first.ts}
    assert {where[f"fp{n}"] for n in range(20, 40)} == {second.ts}
    assert server.log.counts()["POST chat.postMessage"] == 3  # refused once, then two parts


def test_a_single_block_too_long_for_slack_fails_as_before(
    store: SqlStore, sender: SlackSender, clock: FakeClock
) -> None:
    text = {"type": "plain_text", "text": "x" * 1990}
    block = {"type": "section", "fields": [text] * 7}  # 13,930 characters in one block
    store.outbox.enqueue([post("huge", blocks=(block,))], clock())
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.failed) == (0, 1)
    entry = store.outbox.find("huge")
    assert entry is not None and entry.error_code == "msg_blocks_too_long"


class SlowSender:
    """Takes `seconds` per message; `during` runs while the first message is in flight."""

    def __init__(self, inner: SlackSender, seconds: float, during: Any = None) -> None:
        self.inner, self.seconds, self.during = inner, seconds, during
        self.calls = 0

    def send(self, message: OutgoingMessage, parent: Delivery | None = None) -> Delivery:
        self.calls += 1
        time.sleep(self.seconds)
        if self.calls == 1 and self.during is not None:
            self.during()
        return self.inner.send(message, parent)

    def find(self, message: OutgoingMessage, parent: Delivery | None, since: datetime) -> None:
        raise AssertionError("nothing was uncertain")


def test_a_live_sender_keeps_its_leases_past_their_length(
    store: SqlStore, sender: SlackSender, workspace: SlackWorkspace
) -> None:
    store.outbox.enqueue([post(f"m{n}") for n in range(3)], utc_now())
    stolen: list[int] = []
    slow = SlowSender(
        sender,
        seconds=0.6,  # twice the lease: only the heartbeat keeps the batch ours
        during=lambda: stolen.extend(e.id for e in store.outbox.claim(utc_now(), worker="x")),
    )
    summary = drain_outbox(store, slow, utc_now, lease=timedelta(seconds=0.3))
    assert stolen == [] and summary.sent == 3
    assert len(workspace.messages()) == 3


def test_a_stop_request_finishes_the_message_in_flight_and_leaves_the_rest(
    store: SqlStore, sender: SlackSender, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    store.outbox.enqueue([post(f"m{n}") for n in range(5)], clock())
    stop = StopRequest()
    slow = SlowSender(sender, seconds=0, during=lambda: stop.request("SIGTERM"))
    summary = drain_outbox(store, slow, clock, stop=stop)
    assert (summary.sent, summary.pending, summary.status) == (1, 4, "interrupted")
    assert summary.line().endswith("stopped on SIGTERM: 4 left in the outbox")
    assert len(workspace.messages()) == 1
    assert drain_outbox(store, sender, clock).sent == 4  # released, not leased away


def test_stopping_between_batches_claims_nothing_more(
    store: SqlStore, sender: SlackSender, clock: FakeClock
) -> None:
    store.outbox.enqueue([post(f"m{n}") for n in range(4)], clock())
    stop = threading.Event()
    stop.set()
    summary = drain_outbox(store, sender, clock, stop=stop)
    assert (summary.sent, summary.pending, summary.interrupted) == (0, 4, "a stop request")
