"""Alerts: what the lifecycle remembers about each fingerprint between runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, false, func, select, true, update
from sqlalchemy.engine import Connection

from lpmsync.domain.alerts import AlertState, AlertStatus
from lpmsync.domain.findings import finding_from_json, finding_to_json
from lpmsync.store.items import _insert_for
from lpmsync.store.schema import alerts

_CHUNK = 500  # fingerprints per statement: keeps SQLite under its variable limit
_ACKNOWLEDGEMENT = ("acknowledged_by", "acknowledged_at", "acknowledged_signature")


def _row(state: AlertState) -> dict[str, Any]:
    return {
        "fingerprint": state.fingerprint,
        "rule": state.rule,
        "status": state.status.value,
        "finding": finding_to_json(state.finding),
        "first_seen": state.first_seen,
        "last_seen": state.last_seen,
        "last_notified": state.last_notified,
        "resolved_at": state.resolved_at,
        "channel": state.channel,
        "message_ts": state.message_ts,
        "acknowledged_by": state.acknowledged_by,
        "acknowledged_at": state.acknowledged_at,
        "acknowledged_signature": state.acknowledged_signature,
    }


def _state(row: Any) -> AlertState:
    return AlertState(
        fingerprint=row.fingerprint,
        rule=row.rule,
        status=AlertStatus(row.status),
        finding=finding_from_json(row.finding),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        last_notified=row.last_notified,
        resolved_at=row.resolved_at,
        channel=row.channel,
        message_ts=row.message_ts,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        acknowledged_signature=row.acknowledged_signature,
    )


def record_message(
    conn: Connection, fingerprints: Sequence[str], channel: str, message_ts: str
) -> None:
    """Point these alerts at the Slack message that announced them (inside `conn`'s
    transaction, so the outbox can do it together with marking its row sent). An alert that
    resolved while its announcement waited gets `correction_due`: the announcement just went out
    showing it firing, and the next check edits it and replies."""
    unique = sorted(set(fingerprints))
    resolved = alerts.c.status == AlertStatus.RESOLVED.value
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        conn.execute(
            update(alerts)
            .where(alerts.c.fingerprint.in_(chunk))
            .values(
                channel=channel,
                message_ts=message_ts,
                correction_due=case((resolved, true()), else_=alerts.c.correction_due),
            )
        )


class AlertRepository:
    """Alert states, upserted by fingerprint; the finding is kept as JSON and restored exactly."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load_all(self) -> list[AlertState]:
        return self._load(select(alerts))

    def load_open(self) -> list[AlertState]:
        """The alerts that are firing."""
        return self._load(select(alerts).where(alerts.c.status == AlertStatus.FIRING.value))

    def _load(self, query: Any) -> list[AlertState]:
        with self._engine.connect() as conn:
            return [_state(row) for row in conn.execute(query.order_by(alerts.c.fingerprint))]

    def save(self, states: Sequence[AlertState]) -> None:
        if not states:
            return
        rows = [_row(state) for state in states]
        with self._engine.begin() as conn:
            statement = _insert_for(conn)(alerts)
            excluded = statement.excluded
            updates: dict[str, Any] = {
                c.name: excluded[c.name] for c in alerts.columns if not c.primary_key
            }
            # A sender may record the alert's message (set_message) between the lifecycle
            # loading the states and saving them: within one episode a stored channel and ts
            # are never replaced by the lifecycle's stale "not sent yet". A new episode (a
            # different first_seen) takes the incoming values: its message is a new one.
            same_episode = excluded.first_seen == alerts.c.first_seen
            # An acknowledgement made from Slack meanwhile survives the same way.
            for column in (*("channel", "message_ts"), *_ACKNOWLEDGEMENT):
                updates[column] = case(
                    (same_episode, func.coalesce(excluded[column], alerts.c[column])),
                    else_=excluded[column],
                )
            # The lifecycle resolved it without knowing its message (sent meanwhile): nobody
            # enqueued the edit and the reply, so the next check must.
            unseen_message = and_(
                same_episode,
                excluded.status == AlertStatus.RESOLVED.value,
                excluded.message_ts.is_(None),
                alerts.c.message_ts.is_not(None),
            )
            updates["correction_due"] = case(
                (unseen_message, true()),
                (excluded.status == AlertStatus.FIRING.value, false()),
                else_=alerts.c.correction_due,
            )
            conn.execute(
                statement.on_conflict_do_update(index_elements=["fingerprint"], set_=updates), rows
            )

    def corrections_due(self) -> list[AlertState]:
        """Resolved alerts whose announcement went out without showing it (see record_message)."""
        return self._load(select(alerts).where(alerts.c.correction_due.is_(true())))

    def corrected(self, states: Sequence[AlertState]) -> None:
        """The edit and reply for these alerts are in the outbox: clear their flag (unless the
        alert fired again or points at another message since)."""
        with self._engine.begin() as conn:
            for state in states:
                conn.execute(
                    update(alerts)
                    .where(
                        alerts.c.fingerprint == state.fingerprint,
                        alerts.c.message_ts == state.message_ts,
                        alerts.c.status == AlertStatus.RESOLVED.value,
                    )
                    .values(correction_due=False)
                )

    def set_message(self, fingerprints: Sequence[str], channel: str, ts: str) -> None:
        with self._engine.begin() as conn:
            record_message(conn, fingerprints, channel, ts)

    def load(self, fingerprints: Sequence[str]) -> list[AlertState]:
        """The alerts with these fingerprints (unknown ones are left out)."""
        found: list[AlertState] = []
        unique = sorted(set(fingerprints))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            found += self._load(select(alerts).where(alerts.c.fingerprint.in_(chunk)))
        return found

    def on_message(self, channel: str, message_ts: str) -> list[AlertState]:
        """The alerts a Slack message announced."""
        return self._load(
            select(alerts).where(alerts.c.channel == channel, alerts.c.message_ts == message_ts)
        )

    def opened_between(self, start: datetime, end: datetime) -> int:
        """Alerts first seen in `[start, end)`."""
        return self._count(alerts.c.first_seen >= start, alerts.c.first_seen < end)

    def resolved_between(self, start: datetime, end: datetime) -> int:
        """Alerts resolved in `[start, end)` (and not firing again since)."""
        return self._count(
            alerts.c.status == AlertStatus.RESOLVED.value,
            alerts.c.resolved_at >= start,
            alerts.c.resolved_at < end,
        )

    def _count(self, *conditions: Any) -> int:
        query = select(func.count()).select_from(alerts).where(*conditions)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def open_counts_by_rule(self) -> dict[str, int]:
        query = (
            select(alerts.c.rule, func.count())
            .where(alerts.c.status == AlertStatus.FIRING.value)
            .group_by(alerts.c.rule)
            .order_by(alerts.c.rule)
        )
        with self._engine.connect() as conn:
            return {rule: int(count) for rule, count in conn.execute(query)}
