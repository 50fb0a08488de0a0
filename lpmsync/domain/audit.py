"""The audit trail: who did what to which alerts, when, and from where."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lpmsync.domain.findings import JsonValue


class AuditAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    SNOOZE = "snooze"  # a silence made from Slack, scoped to exact alerts
    SILENCE_ADD = "silence-add"
    SILENCE_EXPIRE = "silence-expire"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One action. `actor` is a Slack user id or `cli:<login>`; `origin` is `slack` or `cli`;
    `channel` and `message_ts` locate the Slack message it was taken from, if any;
    `detail` holds what else matters (a silence id, its end, the rule)."""

    at: datetime
    actor: str
    action: AuditAction
    origin: str
    fingerprints: tuple[str, ...] = ()
    channel: str | None = None
    message_ts: str | None = None
    detail: Mapping[str, JsonValue] = field(default_factory=dict)
    id: int | None = None


def audit_summary(entries: Iterable[AuditEntry]) -> str | None:
    """One line for the weekly digest: "3 alerts acknowledged, 2 snoozed this week", counting
    distinct alerts; None when nobody acted."""
    acknowledged: set[str] = set()
    snoozed: set[str] = set()
    for entry in entries:
        if entry.action is AuditAction.ACKNOWLEDGE:
            acknowledged.update(entry.fingerprints)
        elif entry.action is AuditAction.SNOOZE:
            snoozed.update(entry.fingerprints)
    if not acknowledged and not snoozed:
        return None
    parts = (
        [f"{len(acknowledged)} {_alerts(len(acknowledged))} acknowledged"] if acknowledged else []
    )
    if snoozed:
        noun = "" if acknowledged else f" {_alerts(len(snoozed))}"
        parts.append(f"{len(snoozed)}{noun} snoozed")
    return ", ".join(parts) + " this week"


def _alerts(count: int) -> str:
    return "alert" if count == 1 else "alerts"
