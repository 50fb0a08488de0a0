"""The audit trail, and the actions that write to it in the same transaction as their effect.

An acknowledgement or a snooze and its audit row commit together: the trail never shows an action
that did not happen, and an action never happens without its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from lpmsync.domain.alerts import AlertStatus, Silence
from lpmsync.domain.audit import AuditAction, AuditEntry
from lpmsync.store.schema import alerts, audit
from lpmsync.store.silences import add_silence, expire_silence


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=AuditAction(row.action),
        origin=row.origin,
        fingerprints=tuple(row.fingerprints),
        channel=row.channel,
        message_ts=row.message_ts,
        detail=dict(row.detail),
    )


def _insert(conn: Connection, entry: AuditEntry) -> int:
    result = conn.execute(
        insert(audit).values(
            at=entry.at,
            actor=entry.actor,
            action=entry.action.value,
            origin=entry.origin,
            fingerprints=list(entry.fingerprints),
            channel=entry.channel,
            message_ts=entry.message_ts,
            detail=dict(entry.detail),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class AuditRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: AuditEntry) -> int:
        with self._engine.begin() as conn:
            return _insert(conn, entry)

    def acknowledge(self, signatures: Mapping[str, str], entry: AuditEntry) -> list[str]:
        """Mark the still-firing alerts among `signatures` (fingerprint → what is acknowledged)
        acknowledged by `entry.actor` at `entry.at`, and record `entry` for exactly those.
        Returns their fingerprints; nothing is written when none is firing."""
        done: list[str] = []
        with self._engine.begin() as conn:
            for fingerprint, signature in sorted(signatures.items()):
                result = conn.execute(
                    update(alerts)
                    .where(
                        alerts.c.fingerprint == fingerprint,
                        alerts.c.status == AlertStatus.FIRING.value,
                    )
                    .values(
                        acknowledged_by=entry.actor,
                        acknowledged_at=entry.at,
                        acknowledged_signature=signature,
                    )
                )
                if result.rowcount == 1:
                    done.append(fingerprint)
            if done:
                _insert(conn, replace(entry, fingerprints=tuple(done)))
        return done

    def add_silence(self, silence: Silence, entry: AuditEntry) -> int:
        """Store `silence` and its audit row (whose detail gains the silence's id)."""
        with self._engine.begin() as conn:
            silence_id = add_silence(conn, silence)
            _insert(conn, replace(entry, detail={**entry.detail, "silence": silence_id}))
        return silence_id

    def expire_silence(self, silence_id: int, entry: AuditEntry) -> bool:
        """End a silence now and record it; False (and no row) when it had already ended."""
        with self._engine.begin() as conn:
            if not expire_silence(conn, silence_id, entry.at):
                return False
            _insert(conn, replace(entry, detail={**entry.detail, "silence": silence_id}))
        return True

    def since(self, start: datetime | None = None, end: datetime | None = None) -> list[AuditEntry]:
        """Entries at or after `start` and before `end`, oldest first."""
        query = select(audit)
        if start is not None:
            query = query.where(audit.c.at >= start)
        if end is not None:
            query = query.where(audit.c.at < end)
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query.order_by(audit.c.at, audit.c.id))]
