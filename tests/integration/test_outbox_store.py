"""The outbox contract: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.errors import StoreError
from lpmsync.store import SqlStore, open_store
from lpmsync.store.outbox_rows import OutboxStatus


def post(key: str, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "kind": MessageKind.POST,
        "channel": "C0PORTFOLIO",
        "text": f"message {key}",
        "dedup_key": key,
        "blocks": ({"type": "section", "text": {"type": "mrkdwn", "text": f"*{key}*"}},),
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def test_enqueue_round_trips_every_field_and_ignores_known_keys(
    store: SqlStore, now: datetime
) -> None:
    chart = post(
        "digest:chart",
        kind=MessageKind.UPLOAD,
        parent_key="digest",
        file_content=b"\x89PNG\r\n\x1a\n\x00binary",
        filename="allocation.png",
        title="Allocation",
        not_before=now + timedelta(hours=1),
        alert_fingerprints=("fp1", "fp2"),
        target_ts="1763280000.000100",
    )
    assert store.outbox.enqueue([post("digest"), chart, post("digest")], now) == 2
    assert store.outbox.enqueue([chart], now) == 0
    entry = store.outbox.find("digest:chart")
    assert entry is not None
    assert entry.message == chart
    assert (entry.status, entry.attempts, entry.created_at) == (OutboxStatus.PENDING, 0, now)
    assert store.outbox.depth() == 2


def test_claim_takes_due_messages_oldest_first_and_leases_them(
    store: SqlStore, now: datetime
) -> None:
    store.outbox.enqueue([post("a"), post("b"), post("c")], now)
    store.outbox.enqueue([post("later", not_before=now + timedelta(minutes=5))], now)
    first = store.outbox.claim(now, limit=2, worker="w1")
    assert [e.message.dedup_key for e in first] == ["a", "b"]
    second = store.outbox.claim(now, limit=10, worker="w2")
    assert [e.message.dedup_key for e in second] == ["c"]
    assert store.outbox.claim(now, worker="w3") == []
    # quiet hours end, and w1's lease runs out while it never reported back
    after_lease = store.outbox.claim(now + timedelta(minutes=16), worker="w4")
    assert [e.message.dedup_key for e in after_lease] == ["a", "b", "c", "later"]


def test_release_gives_claimed_rows_back(store: SqlStore, now: datetime) -> None:
    store.outbox.enqueue([post("a"), post("b")], now)
    claimed = store.outbox.claim(now)
    store.outbox.release([claimed[1].id])
    assert [e.message.dedup_key for e in store.outbox.claim(now)] == ["b"]


def test_children_wait_for_their_parent_and_learn_where_it_landed(
    store: SqlStore, now: datetime
) -> None:
    child = post("digest:chart", kind=MessageKind.UPLOAD, parent_key="digest", file_content=b"x")
    store.outbox.enqueue([post("digest"), child], now)
    [parent] = store.outbox.claim(now)
    assert parent.message.dedup_key == "digest"
    assert store.outbox.claim(now) == []
    store.outbox.mark_sent(parent.id, "C0PORTFOLIO", "1763280000.000001", now)
    [claimed_child] = store.outbox.claim(now)
    assert (claimed_child.parent_channel, claimed_child.parent_ts) == (
        "C0PORTFOLIO",
        "1763280000.000001",
    )
    assert store.outbox.sent_ts("digest") == ("C0PORTFOLIO", "1763280000.000001")
    assert store.outbox.sent_ts("digest:chart") is None


def test_mark_sent_is_final_and_counts_the_attempt(store: SqlStore, now: datetime) -> None:
    store.outbox.enqueue([post("a")], now)
    [entry] = store.outbox.claim(now)
    store.outbox.mark_sent(entry.id, "C1", "1.000001", now)
    done = store.outbox.find("a")
    assert done is not None
    assert (done.status, done.attempts, done.sent_channel, done.sent_ts) == (
        OutboxStatus.SENT,
        1,
        "C1",
        "1.000001",
    )
    assert store.outbox.depth() == 0
    assert store.outbox.claim(now + timedelta(days=1)) == []
    with pytest.raises(StoreError):
        store.outbox.mark_sent(99999, "C1", "1.1", now)


def test_mark_retry_schedules_the_next_attempt(store: SqlStore, now: datetime) -> None:
    store.outbox.enqueue([post("a")], now)
    [entry] = store.outbox.claim(now)
    store.outbox.mark_retry(entry.id, "HTTP 503", now + timedelta(seconds=30))
    assert store.outbox.claim(now + timedelta(seconds=29)) == []
    [again] = store.outbox.claim(now + timedelta(seconds=30))
    assert (again.attempts, again.last_error) == (1, "HTTP 503")


def test_mark_failed_records_the_error_and_fails_waiting_children(
    store: SqlStore, now: datetime
) -> None:
    chart = post("digest:chart", kind=MessageKind.UPLOAD, parent_key="digest")
    grandchild = post("digest:chart:note", parent_key="digest:chart")
    store.outbox.enqueue([post("digest"), chart, grandchild, post("other")], now)
    [digest, _other] = store.outbox.claim(now)
    store.outbox.mark_failed(digest.id, "channel_not_found", "channel_not_found", now)
    failures = store.outbox.recent_failures()
    assert {(e.message.dedup_key, e.error_code) for e in failures} == {
        ("digest", "channel_not_found"),
        ("digest:chart", "parent_failed"),
        ("digest:chart:note", "parent_failed"),
    }
    assert store.outbox.depth() == 1
    assert len(store.outbox.recent_failures(limit=1)) == 1


def test_top_level_post_tells_its_alerts_where_it_is(store: SqlStore, now: datetime) -> None:
    from tests.integration.test_outbox_alerts_snapshots import alert_state

    store.alerts.save([alert_state("fp1"), alert_state("fp2"), alert_state("fp3")])
    announce = post("alert:fp1", alert_fingerprints=("fp1", "fp2"))
    reply = post("alert:fp3:reply", alert_fingerprints=("fp3",), target_ts="1.000001")
    store.outbox.enqueue([announce, reply], now)
    first, second = store.outbox.claim(now)
    store.outbox.mark_sent(first.id, "C0CXTEAM", "1763280000.000007", now)
    store.outbox.mark_sent(second.id, "C0CXTEAM", "1763280000.000008", now)
    where = {a.fingerprint: (a.channel, a.message_ts) for a in store.alerts.load_all()}
    assert where == {
        "fp1": ("C0CXTEAM", "1763280000.000007"),
        "fp2": ("C0CXTEAM", "1763280000.000007"),
        "fp3": (None, None),  # a thread reply is not the alert's message
    }


def test_a_new_store_object_sees_the_same_outbox(store_url: str, now: datetime) -> None:
    first = open_store(store_url)
    first.outbox.enqueue([post("a")], now)
    [entry] = first.outbox.claim(now)
    first.outbox.mark_sent(entry.id, "C1", "1.000001", now)
    first.close()
    again = open_store(store_url)
    assert again.outbox.enqueue([post("a")], now) == 0
    assert again.outbox.claim(now + timedelta(days=1)) == []
    again.close()
