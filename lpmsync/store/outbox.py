"""The outbox: every Slack message is a row here before it is sent.

A row is `pending` until a sender claims it, sends it and marks it `sent` (or `failed`). Claims
are leases (`claimed_by`, `claimed_until`) taken in one atomic UPDATE; on PostgreSQL the rows are
picked with `FOR UPDATE SKIP LOCKED`, so two replicas draining at once never take the same row.
A sender that dies mid-batch leaves its lease to expire (a minute: a live sender renews it),
and the rows go out on a later run. Before each request the sender records `attempt_started_at`;
the outcome clears it, so a row claimed with it still set is one whose earlier attempt may have
reached Slack (see `services.send`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.errors import StoreError
from lpmsync.store.alerts import record_message
from lpmsync.store.items import _insert_for
from lpmsync.store.outbox_queries import due_ids, entries_by_id, fail_descendants
from lpmsync.store.outbox_rows import (
    OutboxEntry,
    OutboxStatus,
    message_row,
    row_entry,
)
from lpmsync.store.schema import outbox

# Short, and renewed by the sender's heartbeat while it works: a dead sender's rows come back
# within a minute.
DEFAULT_LEASE = timedelta(seconds=60)
_PENDING = OutboxStatus.PENDING.value
_SENT = OutboxStatus.SENT.value
_FAILED = OutboxStatus.FAILED.value
_WITHDRAWN = OutboxStatus.WITHDRAWN.value
_RELEASED = {"claimed_by": None, "claimed_until": None}


class OutboxRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def enqueue(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        """Add messages; a `dedup_key` already present is a no-op. Returns how many were new."""
        added = 0
        with self._engine.begin() as conn:
            insert = _insert_for(conn)
            for message in messages:
                statement = (
                    insert(outbox)
                    .values(message_row(message, now))
                    .on_conflict_do_nothing(index_elements=["dedup_key"])
                    .returning(outbox.c.id)
                )
                added += len(conn.execute(statement).all())
        return added

    def claim(
        self,
        now: datetime,
        limit: int = 50,
        worker: str = "lpmsync",
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[OutboxEntry]:
        """Lease up to `limit` due messages to `worker`, oldest first.

        Due: pending, `next_attempt_at` and `not_before` reached, not leased by anyone else,
        and its parent (if any) already sent.
        """
        with self._engine.begin() as conn:
            statement = (
                update(outbox)
                .where(outbox.c.id.in_(due_ids(conn, now, limit)))
                .values(claimed_by=worker, claimed_until=now + lease)
                .returning(outbox.c.id)
            )
            ids = sorted(conn.execute(statement).scalars())
            return entries_by_id(conn, ids)

    def release(self, entry_ids: Sequence[int]) -> None:
        """Give back leased rows that were not attempted (the run stopped early)."""
        if not entry_ids:
            return
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(entry_ids)), outbox.c.status == _PENDING)
                .values(**_RELEASED)
            )

    def renew(self, worker: str, until: datetime) -> int:
        """Extend `worker`'s leases on the rows it still holds (the sender's heartbeat)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.claimed_by == worker, outbox.c.status == _PENDING)
                .values(claimed_until=until)
            )
            return int(result.rowcount or 0)

    def start_attempt(self, entry_id: int, now: datetime) -> None:
        """Record, before the request leaves, that an attempt is under way."""
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == entry_id)
                .values(
                    attempt_started_at=now,
                    first_attempt_at=func.coalesce(outbox.c.first_attempt_at, now),
                )
            )

    def split(
        self, entry_id: int, first: OutgoingMessage, rest: Sequence[OutgoingMessage], now: datetime
    ) -> None:
        """Slack refused the message as too long: the row keeps the `first` part (same key, so
        its thread and edits still find it) and the `rest` become new rows right after it."""
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == entry_id, outbox.c.status == _PENDING)
                .values(
                    text=first.text,
                    blocks=[dict(block) for block in first.blocks],
                    alert_fingerprints=list(first.alert_fingerprints),
                    attempt_started_at=None,
                )
            )
            insert = _insert_for(conn)
            for message in rest:
                conn.execute(
                    insert(outbox)
                    .values(message_row(message, now))
                    .on_conflict_do_nothing(index_elements=["dedup_key"])
                )

    def mark_sent(self, entry_id: int, channel: str, ts: str, now: datetime) -> None:
        """Record where the message landed; for a top-level POST its alerts learn the message
        too, in the same transaction, so a restart can neither lose nor repeat it."""
        with self._engine.begin() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == entry_id)).first()
            if row is None:
                raise StoreError(f"outbox entry {entry_id} does not exist")
            conn.execute(
                update(outbox)
                .where(outbox.c.id == entry_id)
                .values(
                    status=_SENT,
                    attempts=outbox.c.attempts + 1,
                    sent_channel=channel,
                    sent_ts=ts,
                    finished_at=now,
                    error_code=None,
                    attempt_started_at=None,
                    **_RELEASED,
                )
            )
            top_level = row.target_ts is None and row.parent_key is None
            if row.kind == MessageKind.POST.value and top_level and row.alert_fingerprints:
                record_message(conn, row.alert_fingerprints, channel, ts)

    def mark_retry(
        self,
        entry_id: int,
        error: str,
        next_attempt_at: datetime,
        *,
        code: str | None = None,
        uncertain: bool = False,
    ) -> None:
        """Count a failed attempt and schedule the next one. `uncertain`: the request may have
        reached Slack (a timeout, a 5xx), so the next attempt looks for it first."""
        known: dict[str, Any] = {} if uncertain else {"attempt_started_at": None}
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == entry_id, outbox.c.status == _PENDING)
                .values(
                    attempts=outbox.c.attempts + 1,
                    last_error=error,
                    error_code=code,
                    next_attempt_at=next_attempt_at,
                    **known,
                    **_RELEASED,
                )
            )

    def mark_failed(self, entry_id: int, code: str, error: str, now: datetime) -> None:
        """Give up on a message for good; messages waiting for it as their parent fail too."""
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == entry_id, outbox.c.status == _PENDING)
                .values(
                    status=_FAILED,
                    attempts=outbox.c.attempts + 1,
                    error_code=code,
                    last_error=error,
                    finished_at=now,
                    **_RELEASED,
                )
            )
            fail_descendants(conn, entry_id, now)

    def withdraw(self, fingerprints: Collection[str], now: datetime) -> int:
        """Withdraw waiting announcements (top-level posts) whose every alert is among the
        resolved `fingerprints`, e.g. held by quiet hours: announcing them afterwards would only
        alarm people about something already over. A row a sender holds, or whose earlier
        attempt may have reached Slack, is left to the sender."""
        resolved = set(fingerprints)
        if not resolved:
            return 0
        unclaimed = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)
        waiting = and_(
            outbox.c.status == _PENDING,
            outbox.c.kind == MessageKind.POST.value,
            outbox.c.target_ts.is_(None),
            outbox.c.parent_key.is_(None),
            unclaimed,
            # An earlier attempt may have posted it: the sender looks it up and records it
            # (the next check then corrects it) rather than losing its link to the alerts.
            outbox.c.attempt_started_at.is_(None),
        )
        with self._engine.begin() as conn:
            rows = conn.execute(select(outbox.c.id, outbox.c.alert_fingerprints).where(waiting))
            ids = [
                r.id for r in rows if r.alert_fingerprints and set(r.alert_fingerprints) <= resolved
            ]
            if ids:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids), waiting)
                    .values(
                        status=_WITHDRAWN,
                        error_code="withdrawn",
                        finished_at=now,
                        last_error="its alerts resolved before it could be sent",
                    )
                )
        return len(ids)

    def next_attempt(self, now: datetime) -> tuple[int, datetime | None]:
        """Pending rows that wait for a backoff or another sender's lease (not for quiet hours
        or a parent), and the earliest time one of them is due again."""
        leased = and_(outbox.c.claimed_until.is_not(None), outbox.c.claimed_until > now)
        waiting = and_(
            outbox.c.status == _PENDING,
            or_(outbox.c.next_attempt_at > now, leased),
            or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
        )
        query = select(outbox.c.next_attempt_at, outbox.c.claimed_until).where(waiting)
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
        due = [max(r.next_attempt_at, r.claimed_until or r.next_attempt_at) for r in rows]
        return len(rows), min(due, default=None)

    def depth(self) -> int:
        """How many messages are waiting to be sent."""
        query = select(func.count()).select_from(outbox).where(outbox.c.status == _PENDING)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def recent_failures(self, limit: int = 10) -> list[OutboxEntry]:
        """Messages given up on, newest first (for `lpmsync status`)."""
        query = (
            select(outbox)
            .where(outbox.c.status == _FAILED)
            .order_by(outbox.c.finished_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [row_entry(row) for row in conn.execute(query)]

    def sent_ts(self, dedup_key: str) -> tuple[str, str] | None:
        """`(channel, ts)` of a sent message, or None while it is not sent."""
        query = select(outbox.c.sent_channel, outbox.c.sent_ts).where(
            outbox.c.dedup_key == dedup_key, outbox.c.status == _SENT
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.sent_channel, row.sent_ts) if row is not None else None

    def find(self, dedup_key: str) -> OutboxEntry | None:
        """The row of one message, whatever its status."""
        with self._engine.connect() as conn:
            found = conn.execute(select(outbox.c.id).where(outbox.c.dedup_key == dedup_key))
            entry_id = found.scalar_one_or_none()
            return entries_by_id(conn, [entry_id])[0] if entry_id is not None else None

    def with_key_prefix(self, prefix: str) -> list[OutboxEntry]:
        """Every row whose dedup key starts with `prefix` (a week's digest), oldest first."""
        query = select(outbox.c.id).where(outbox.c.dedup_key.startswith(prefix, autoescape=True))
        with self._engine.connect() as conn:
            return entries_by_id(conn, list(conn.execute(query.order_by(outbox.c.id)).scalars()))

    def replace_pending(self, entry_ids: Sequence[int], now: datetime, reason: str) -> int:
        """Withdraw these rows if still waiting and not held by a sender (a rebuilt digest
        replaces them); returns how many were withdrawn."""
        if not entry_ids:
            return 0
        unclaimed = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)
        with self._engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(entry_ids)), outbox.c.status == _PENDING, unclaimed)
                .values(
                    status=_WITHDRAWN, error_code="replaced", finished_at=now, last_error=reason
                )
            )
        return int(result.rowcount)

    def entries(self) -> list[OutboxEntry]:
        """Every row, oldest first (for tests and the demo)."""
        with self._engine.connect() as conn:
            ids = list(conn.execute(select(outbox.c.id).order_by(outbox.c.id)).scalars())
            return entries_by_id(conn, ids)
