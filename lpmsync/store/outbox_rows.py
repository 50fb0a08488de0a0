"""Outbox rows ↔ `OutboxEntry`, and the statuses a row goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from lpmsync.domain.alerts import MessageKind, OutgoingMessage


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting to be sent (or to be retried)
    SENT = "sent"  # Slack accepted it; `sent_channel`/`sent_ts` say where it is
    FAILED = "failed"  # a permanent error, or out of attempts: never retried
    WITHDRAWN = "withdrawn"  # its alerts resolved before it could be sent: never sent


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row.

    `parent_channel`/`parent_ts` are where the message's parent (`message.parent_key`) landed,
    filled in by `claim` once the parent is sent: the thread to reply in, or the message to edit.
    For an UPLOAD, `sent_ts` holds the Slack file id.
    """

    id: int
    message: OutgoingMessage
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    error_code: str | None = None
    finished_at: datetime | None = None
    sent_channel: str | None = None
    sent_ts: str | None = None
    parent_channel: str | None = None
    parent_ts: str | None = None
    first_attempt_at: datetime | None = None
    # Set while an attempt's outcome is unknown (the sender died or timed out after sending).
    attempt_started_at: datetime | None = None


def message_row(message: OutgoingMessage, now: datetime) -> dict[str, Any]:
    """The columns of a new, pending row."""
    return {
        "dedup_key": message.dedup_key,
        "kind": message.kind.value,
        "channel": message.channel,
        "text": message.text,
        "blocks": [dict(block) for block in message.blocks],
        "target_ts": message.target_ts,
        "parent_key": message.parent_key,
        "alert_fingerprints": list(message.alert_fingerprints),
        "not_before": message.not_before,
        "file_content": message.file_content,
        "filename": message.filename,
        "title": message.title,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def row_message(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        kind=MessageKind(row.kind),
        channel=row.channel,
        text=row.text,
        dedup_key=row.dedup_key,
        blocks=tuple(row.blocks),
        target_ts=row.target_ts,
        parent_key=row.parent_key,
        alert_fingerprints=tuple(row.alert_fingerprints),
        not_before=row.not_before,
        file_content=bytes(row.file_content) if row.file_content is not None else None,
        filename=row.filename,
        title=row.title,
    )


def row_entry(row: Any, parent: tuple[str | None, str | None] = (None, None)) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        message=row_message(row),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        error_code=row.error_code,
        finished_at=row.finished_at,
        sent_channel=row.sent_channel,
        sent_ts=row.sent_ts,
        parent_channel=parent[0],
        parent_ts=parent[1],
        first_attempt_at=row.first_attempt_at,
        attempt_started_at=row.attempt_started_at,
    )
