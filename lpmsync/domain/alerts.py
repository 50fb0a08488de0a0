"""Alerts (findings with a lifecycle) and messages waiting in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lpmsync.domain.findings import Finding, JsonValue


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertState:
    """What lpmsync remembers about one fingerprint between runs (modelled on Alertmanager).

    `channel` and `message_ts` locate the Slack message that announced it, so a resolution can
    edit that message in place and reply in its thread.
    """

    fingerprint: str
    rule: str
    status: AlertStatus
    finding: Finding
    first_seen: datetime
    last_seen: datetime
    last_notified: datetime | None = None
    resolved_at: datetime | None = None
    channel: str | None = None
    message_ts: str | None = None
    acknowledged_by: str | None = None  # a Slack user id, or "cli:<name>"
    acknowledged_at: datetime | None = None
    acknowledged_signature: str | None = None  # what was acknowledged; see `alert_signature`


def alert_signature(finding: Finding) -> str:
    """What an acknowledgement covers: severity and scope. A change to either is news, so the
    alert is repeated again; counts and ages in the message or evidence are not."""
    scope = finding.scope
    level = scope.level.value if scope.level else ""
    parts = (finding.severity.value, scope.state, level, scope.value_stream, scope.theme)
    return "|".join(part or "" for part in parts)


def alert_name(finding: Finding) -> str:
    """A short name for an alert in a sentence: its item's key, else its scope."""
    if finding.subject is not None:
        return finding.subject.key
    scope = finding.scope
    level = scope.level.value if scope.level else None
    parts = [p for p in (scope.state, level, scope.value_stream, scope.theme) if p]
    return " · ".join(parts) or finding.rule


class MessageKind(StrEnum):
    POST = "post"  # chat.postMessage (a thread reply when it has a thread)
    UPDATE = "update"  # chat.update of an earlier message
    UPLOAD = "upload"  # files_upload_v2, usually into a thread


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to send. It is a row in the outbox before anything reaches Slack.

    - `dedup_key` is unique in the outbox: enqueuing the same key again is a no-op, which is
      what makes "nothing is sent twice" hold across restarts and replicas.
    - `target_ts` is the ts of an existing Slack message: the one to edit (UPDATE) or the
      thread to reply in (POST, UPLOAD).
    - `parent_key` is the `dedup_key` of a message in the same outbox whose ts becomes this
      message's thread (a digest's charts go in the digest's thread); it is sent after its parent.
    - `alert_fingerprints`: once a POST without a thread is sent, these alerts remember its
      channel and ts.
    - `not_before`: quiet hours hold the message until then.
    """

    kind: MessageKind
    channel: str
    text: str
    dedup_key: str
    blocks: tuple[Mapping[str, JsonValue], ...] = ()
    target_ts: str | None = None
    parent_key: str | None = None
    alert_fingerprints: tuple[str, ...] = ()
    not_before: datetime | None = None
    file_content: bytes | None = None
    filename: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    """Holds back alerts of `rule` whose finding matches every `matchers` entry until `until`.

    Matcher keys: `theme`, `value_stream`, `state`, `level`, `severity`, `source`, `key`.
    `fingerprints`, when not empty, narrows it to exactly those alerts (a snooze from Slack);
    `author` is who made it (a Slack user id, or None from the CLI).
    """

    id: int | None
    rule: str
    matchers: Mapping[str, str]
    until: datetime
    comment: str = ""
    created_at: datetime | None = None
    expired_at: datetime | None = None
    fingerprints: frozenset[str] = frozenset()
    author: str | None = None

    def active_at(self, now: datetime) -> bool:
        return self.expired_at is None and now < self.until
