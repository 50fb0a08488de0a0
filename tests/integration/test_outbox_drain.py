"""Draining the outbox into the sandbox Slack: delivery, restarts, outages, refusals.

Every test runs on SQLite and PostgreSQL, with a fake clock (and a fake sleep that advances it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.notify.slack import SlackSender, slack_client
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_records import SlackMessage
from lpmsync.services.send import Backoff, drain_outbox
from lpmsync.store import SqlStore, open_store
from lpmsync.store.outbox_rows import OutboxStatus
from tests.integration.test_outbox_alerts_snapshots import alert_state


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as running:
        yield workspace, running


def make_sender(server: SandboxServer, token: str = SANDBOX_TOKEN) -> SlackSender:
    return SlackSender(slack_client(token, base_url=slack_base_url(server.url), timeout_seconds=5))


@pytest.fixture
def sender(server: SandboxServer) -> SlackSender:
    return make_sender(server)


@pytest.fixture
def clock(now: datetime) -> FakeClock:
    return FakeClock(now)


def post(key: str, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "kind": MessageKind.POST,
        "channel": "C0PORTFOLIO",
        "text": f"text of {key}",
        "dedup_key": key,
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def alert_lifecycle() -> list[OutgoingMessage]:
    """An alert fires, then resolves while its announcement may not be sent yet; plus a digest
    with a chart in its thread."""
    return [
        post("fire:fp1", alert_fingerprints=("fp1",)),
        post("resolve:fp1:edit", kind=MessageKind.UPDATE, parent_key="fire:fp1", text="resolved"),
        post("resolve:fp1:reply", parent_key="fire:fp1", text="Resolved after 3 days"),
        post("digest:2026-W47", channel="C0CXTEAM"),
        post(
            "digest:2026-W47:allocation",
            kind=MessageKind.UPLOAD,
            parent_key="digest:2026-W47",
            file_content=b"\x89PNG fake chart",
            filename="allocation.png",
            title="Allocation vs target",
        ),
    ]


def event_counts(workspace: SlackWorkspace) -> Counter[str]:
    """How many posts, updates and uploads reached Slack."""
    return Counter(event.kind for event in workspace.events())


def original_text(message: SlackMessage) -> str:
    return message.history[0][0] if message.history else message.text


def test_a_drain_delivers_posts_edits_replies_and_uploads_in_order(
    store: SqlStore, sender: SlackSender, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    store.alerts.save([alert_state("fp1")])
    store.outbox.enqueue(alert_lifecycle(), clock())
    summary = drain_outbox(store, sender, clock, limit=100)
    assert (summary.sent, summary.retried, summary.failed, summary.pending) == (5, 0, 0, 0)
    [fired, digest] = workspace.top_level()
    assert (fired.text, fired.edits, fired.channel) == ("resolved", 1, "C0PORTFOLIO")
    assert [r.text for r in workspace.replies("C0PORTFOLIO", fired.ts)] == ["Resolved after 3 days"]
    [chart] = workspace.files()
    assert (chart.channel, chart.thread_ts, digest.channel) == ("C0CXTEAM", digest.ts, "C0CXTEAM")
    [alert] = store.alerts.load_all()
    assert (alert.channel, alert.message_ts) == ("C0PORTFOLIO", fired.ts)
    [run] = store.runs.recent(job="send")
    assert (run.status, run.stats["sent"]) == ("ok", 5)


def test_nothing_is_sent_twice_across_a_restart(
    store_url: str, sender: SlackSender, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    first = open_store(store_url)
    first.outbox.enqueue(alert_lifecycle(), clock())
    drain_outbox(first, sender, clock)
    first.close()
    before = workspace.events()
    restarted = open_store(store_url)  # a new process: the same messages are produced again
    assert restarted.outbox.enqueue(alert_lifecycle(), clock()) == 0
    clock.advance(days=1)
    summary = drain_outbox(restarted, sender, clock)
    restarted.close()
    assert (summary.sent, summary.pending) == (0, 0)
    assert workspace.events() == before


def test_a_crash_after_claiming_loses_nothing(
    store: SqlStore, sender: SlackSender, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    store.outbox.enqueue([post("a"), post("b")], clock())
    store.outbox.claim(clock(), worker="crashed-replica")  # claimed, then the process died
    assert drain_outbox(store, sender, clock).sent == 0
    clock.advance(minutes=16)  # the dead replica's lease runs out
    assert drain_outbox(store, sender, clock).sent == 2
    assert [m.text for m in workspace.messages()] == ["text of a", "text of b"]


def test_a_thirty_minute_outage_delays_messages_and_loses_none(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    messages = alert_lifecycle() + [post(f"alert:{n}") for n in range(20)]
    store.outbox.enqueue(messages, clock())
    # Slack is down for 30 minutes: every answer is a 503/500 or a 429 (Retry-After 5 s).
    server.knobs = Knobs(error_rate=0.6, rate_limit_rate=0.4, retry_after_seconds=5, seed=3)
    outage_ends = clock() + timedelta(minutes=30)
    runs = retried = waits = 0
    while clock() < outage_ends:
        summary = drain_outbox(store, sender, clock, sleep=clock.sleep)
        runs += 1
        retried += summary.retried
        waits += summary.rate_limit_waits
        assert summary.sent == 0
        assert summary.stopped == "slack unavailable" or summary.retried == 0
        clock.advance(minutes=1)  # the scheduler runs `send` every minute
    # Each run stopped at its first failure: one request per message tried, plus 429 waits.
    assert server.log.total() == retried + waits
    assert retried <= runs
    assert waits <= runs * Backoff().max_inline_waits
    assert store.outbox.depth() == len(messages)
    server.knobs = Knobs()  # Slack is back
    for _ in range(60):
        if store.outbox.depth() == 0:
            break
        drain_outbox(store, sender, clock, sleep=clock.sleep)
        clock.advance(minutes=1)
    assert store.outbox.depth() == 0
    assert store.outbox.recent_failures() == []
    assert event_counts(workspace) == {"post": 23, "update": 1, "upload": 1}
    assert sorted(original_text(m) for m in workspace.top_level()) == sorted(
        m.text for m in messages if m.kind is MessageKind.POST and m.parent_key is None
    )


def test_a_short_rate_limit_is_waited_out_within_the_run(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    clock: FakeClock,
    workspace: SlackWorkspace,
) -> None:
    store.outbox.enqueue([post("a"), post("b")], clock())
    server.knobs = Knobs(fail_next=[429, 429], retry_after_seconds=2)
    start = clock()
    summary = drain_outbox(store, sender, clock, sleep=clock.sleep)
    assert (summary.sent, summary.rate_limit_waits, summary.retried) == (2, 2, 0)
    assert clock() - start == timedelta(seconds=4)
    assert server.log.counts()["POST chat.postMessage"] == 4


def test_without_sleep_a_rate_limit_schedules_the_retry_after_retry_after(
    store: SqlStore, sender: SlackSender, server: SandboxServer, clock: FakeClock
) -> None:
    store.outbox.enqueue([post("a")], clock())
    server.knobs = Knobs(fail_next=[429], retry_after_seconds=600)
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.retried, summary.stopped) == (0, 1, "slack unavailable")
    entry = store.outbox.find("a")
    assert entry is not None
    assert entry.next_attempt_at == clock() + timedelta(seconds=600)  # longer than the cap
    clock.advance(seconds=599)
    assert drain_outbox(store, sender, clock).sent == 0
    clock.advance(seconds=1)
    assert drain_outbox(store, sender, clock).sent == 1


def test_permanent_errors_are_recorded_and_never_retried(
    store: SqlStore,
    sender: SlackSender,
    server: SandboxServer,
    workspace: SlackWorkspace,
    clock: FakeClock,
) -> None:
    lost = post("lost", channel="C0NOWHERE1")
    chart = post("lost:chart", kind=MessageKind.UPLOAD, parent_key="lost", file_content=b"x")
    store.outbox.enqueue([lost, chart, post("fine")], clock())
    summary = drain_outbox(store, sender, clock)
    assert (summary.sent, summary.failed, summary.status) == (1, 1, "partial")
    failures = {e.message.dedup_key: e.error_code for e in store.outbox.recent_failures()}
    assert failures == {"lost": "channel_not_found", "lost:chart": "parent_failed"}
    clock.advance(days=2)
    drain_outbox(store, sender, clock)
    assert server.log.counts()["POST chat.postMessage"] == 2  # "lost" was tried exactly once
    [run, _] = store.runs.recent(job="send")
    assert run.error is None and store.runs.recent(job="send")[1].error is not None


def test_a_rejected_token_stops_the_run_and_fails_nothing(
    store: SqlStore, server: SandboxServer, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    store.outbox.enqueue([post("a"), post("b"), post("c")], clock())
    summary = drain_outbox(store, make_sender(server, "xoxb-rotated-wrongly"), clock)
    assert summary.stopped == "Slack rejected the bot token (invalid_auth)"
    assert (summary.failed, summary.retried, summary.pending) == (0, 1, 3)
    assert server.log.total() == 1
    entry = store.outbox.find("a")
    assert entry is not None and entry.error_code == "invalid_auth"
    clock.advance(minutes=5)
    assert drain_outbox(store, make_sender(server), clock).sent == 3  # the token was fixed
    assert [m.text for m in workspace.messages()] == ["text of a", "text of b", "text of c"]


def test_messages_fail_after_max_attempts(
    store: SqlStore, sender: SlackSender, server: SandboxServer, clock: FakeClock
) -> None:
    store.outbox.enqueue([post("a")], clock())
    server.knobs = Knobs(error_rate=1.0)
    for _ in range(3):
        drain_outbox(store, sender, clock, max_attempts=3)
        clock.advance(hours=1)
    entry = store.outbox.find("a")
    assert entry is not None
    assert (entry.status, entry.attempts, entry.error_code) == (
        OutboxStatus.FAILED,
        3,
        "max_attempts",
    )
    assert server.log.total() == 3


def test_quiet_hours_hold_a_message_until_not_before(
    store: SqlStore, sender: SlackSender, workspace: SlackWorkspace, clock: FakeClock
) -> None:
    store.outbox.enqueue([post("held", not_before=clock() + timedelta(hours=8))], clock())
    assert drain_outbox(store, sender, clock).sent == 0
    clock.advance(hours=8)
    assert drain_outbox(store, sender, clock).sent == 1


def test_limit_bounds_one_run(store: SqlStore, sender: SlackSender, clock: FakeClock) -> None:
    store.outbox.enqueue([post(f"m{n}") for n in range(7)], clock())
    summary = drain_outbox(store, sender, clock, limit=5, batch=2)
    assert (summary.sent, summary.pending) == (5, 2)


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after() -> None:
    backoff = Backoff(base=timedelta(seconds=30), cap=timedelta(minutes=15))
    delays = [backoff.delay(attempt, None).total_seconds() for attempt in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 900, 900]
    assert backoff.delay(1, 120).total_seconds() == 120
    assert backoff.delay(9, 3600).total_seconds() == 3600
