"""The alert-state and snapshot repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lpmsync.domain.alerts import AlertState, AlertStatus
from lpmsync.domain.findings import Finding, Scope, Severity, Subject
from lpmsync.domain.model import Level
from lpmsync.store import SqlStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def alert_state(fingerprint: str, rule: str = "aging", **changes: object) -> AlertState:
    finding = Finding(
        rule=rule,
        severity=Severity.WARNING,
        fingerprint=fingerprint,
        message="PORT-7 has been in Implementing for 120 days",
        subject=Subject("jira", "PORT-7", "Checkout <!channel> & more", "https://x.test/PORT-7"),
        scope=Scope(state="Implementing", level=Level.EPIC, value_stream="Payments", theme="cx"),
        evidence={"days": 120, "limit": 90, "ratio": 1.33, "keys": ["PORT-7"], "note": None},
    )
    state = AlertState(
        fingerprint=fingerprint,
        rule=rule,
        status=AlertStatus.FIRING,
        finding=finding,
        first_seen=T0,
        last_seen=T0 + timedelta(hours=1),
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def test_alert_states_round_trip_exactly(store: SqlStore) -> None:
    bare = alert_state("fp-bare")
    bare = replace(bare, finding=Finding("wip-breach", Severity.CRITICAL, "fp-bare", "WIP 9/6"))
    full = alert_state(
        "fp-full",
        last_notified=T0,
        resolved_at=T0 + timedelta(days=1),
        status=AlertStatus.RESOLVED,
        channel="C0CXTEAM",
        message_ts="1763280000.000001",
    )
    store.alerts.save([full, bare])
    assert store.alerts.load_all() == [bare, full]
    assert store.alerts.load_open() == [bare]


def test_save_upserts_by_fingerprint(store: SqlStore) -> None:
    store.alerts.save([alert_state("fp1")])
    resolved = alert_state("fp1", status=AlertStatus.RESOLVED, resolved_at=T0 + timedelta(days=2))
    store.alerts.save([resolved])
    assert store.alerts.load_all() == [resolved]
    store.alerts.save([])


def test_set_message_points_alerts_at_a_slack_message(store: SqlStore) -> None:
    store.alerts.save([alert_state("fp1"), alert_state("fp2")])
    store.alerts.set_message(["fp1"], "C0FLOW", "1763280000.000009")
    where = {a.fingerprint: (a.channel, a.message_ts) for a in store.alerts.load_all()}
    assert where == {"fp1": ("C0FLOW", "1763280000.000009"), "fp2": (None, None)}


def test_a_stale_save_never_forgets_a_message_the_sender_recorded(store: SqlStore) -> None:
    loaded = alert_state("fp1")
    store.alerts.save([loaded])
    store.alerts.set_message(["fp1"], "C0FLOW", "1763280000.000009")  # sent meanwhile
    store.alerts.save([replace(loaded, last_seen=T0 + timedelta(hours=2))])  # the stale copy
    (saved,) = store.alerts.load_all()
    assert (saved.channel, saved.message_ts) == ("C0FLOW", "1763280000.000009")
    assert saved.last_seen == T0 + timedelta(hours=2)


def test_a_new_episode_starts_without_the_old_message(store: SqlStore) -> None:
    store.alerts.save([alert_state("fp1", channel="C0FLOW", message_ts="1.000001")])
    refired = alert_state("fp1", first_seen=T0 + timedelta(days=3))
    store.alerts.save([refired])
    assert store.alerts.load_all() == [refired]


def test_counts_for_the_digest(store: SqlStore) -> None:
    week = T0 + timedelta(days=7)
    store.alerts.save(
        [
            alert_state("old", first_seen=T0 - timedelta(days=1)),
            alert_state("new", rule="stale", first_seen=T0),
            alert_state("edge", first_seen=week),
            alert_state(
                "gone",
                rule="stale",
                status=AlertStatus.RESOLVED,
                first_seen=T0 - timedelta(days=30),
                resolved_at=T0 + timedelta(days=3),
            ),
        ]
    )
    assert store.alerts.opened_between(T0, week) == 1
    assert store.alerts.resolved_between(T0, week) == 1
    assert store.alerts.resolved_between(week, week + timedelta(days=7)) == 0
    assert store.alerts.open_counts_by_rule() == {"aging": 2, "stale": 1}


def test_snapshots_give_the_latest_strictly_before(store: SqlStore) -> None:
    assert store.snapshots.latest_before(T0) is None
    store.snapshots.save(T0 - timedelta(days=14), {"active": 40})
    store.snapshots.save(T0 - timedelta(days=7), {"active": 44, "themes": {"cx": 0.31}})
    store.snapshots.save(T0, {"active": 45})
    assert store.snapshots.latest_before(T0) == (
        T0 - timedelta(days=7),
        {"active": 44, "themes": {"cx": 0.31}},
    )
    store.snapshots.save(T0 - timedelta(days=7), {"active": 43})
    assert store.snapshots.latest_before(T0) == (T0 - timedelta(days=7), {"active": 43})
