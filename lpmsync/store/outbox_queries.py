"""The outbox's queries that pick rows: what is due, rows with their parent's placement, and
the children of a failed message (shared by `outbox.OutboxRepository`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import Connection

from lpmsync.store.outbox_rows import OutboxEntry, OutboxStatus, row_entry
from lpmsync.store.schema import outbox

_PENDING = OutboxStatus.PENDING.value
_SENT = OutboxStatus.SENT.value
_FAILED = OutboxStatus.FAILED.value
_RELEASED = {"claimed_by": None, "claimed_until": None}


def due_ids(conn: Connection, now: datetime, limit: int) -> Any:
    candidate = outbox.alias("candidate")
    parent = outbox.alias("parent")
    parent_sent = exists().where(
        parent.c.dedup_key == candidate.c.parent_key, parent.c.status == _SENT
    )
    query = (
        select(candidate.c.id)
        .where(
            candidate.c.status == _PENDING,
            candidate.c.next_attempt_at <= now,
            or_(candidate.c.not_before.is_(None), candidate.c.not_before <= now),
            or_(candidate.c.claimed_until.is_(None), candidate.c.claimed_until <= now),
            or_(candidate.c.parent_key.is_(None), parent_sent),
        )
        .order_by(candidate.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # Rows another replica is claiming right now are skipped, not waited for.
        query = query.with_for_update(skip_locked=True, of=candidate)
    return query.scalar_subquery()


def entries_by_id(conn: Connection, ids: Sequence[int]) -> list[OutboxEntry]:
    if not ids:
        return []
    parent = outbox.alias("parent")
    query = (
        select(outbox, parent.c.sent_channel.label("p_channel"), parent.c.sent_ts.label("p_ts"))
        .select_from(
            outbox.outerjoin(
                parent, and_(parent.c.dedup_key == outbox.c.parent_key, parent.c.status == _SENT)
            )
        )
        .where(outbox.c.id.in_(list(ids)))
        .order_by(outbox.c.id)
    )
    return [row_entry(row, (row.p_channel, row.p_ts)) for row in conn.execute(query)]


def fail_descendants(conn: Connection, entry_id: int, now: datetime) -> None:
    """Fail the pending messages that wait for `entry_id` (and theirs): they can never be sent."""
    failed_keys = list(conn.execute(select(outbox.c.dedup_key).where(outbox.c.id == entry_id)))
    keys = [row.dedup_key for row in failed_keys]
    while keys:
        children = list(
            conn.execute(
                select(outbox.c.id, outbox.c.dedup_key, outbox.c.parent_key).where(
                    outbox.c.parent_key.in_(keys), outbox.c.status == _PENDING
                )
            )
        )
        for child in children:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == child.id)
                .values(
                    status=_FAILED,
                    error_code="parent_failed",
                    last_error=f"its parent message {child.parent_key} was not sent",
                    finished_at=now,
                    **_RELEASED,
                )
            )
        keys = [child.dedup_key for child in children]
