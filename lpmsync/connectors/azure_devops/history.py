"""Reporting work item revisions JSON -> `StateChange`s (pure: no I/O, no clock).

`GET {project}/_apis/wit/reporting/workitemrevisions` streams every revision of the portfolio work
item types in change order, resumable from a continuation token (the cursor keeps it). A transition
is a change of the status field between two revisions of one item. When a run resumes from a token,
an item's first revision has no predecessor in hand: it is a transition only when it is the item's
first revision (created), or when `StateChangeDate` equals `ChangedDate` (the state changed in that
very revision); its `from_status` is then unknown (None).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lpmsync.connectors.azure_devops.mapping import CHANGED, STATE, STATE_CHANGED, parse_datetime
from lpmsync.domain.model import StateChange


@dataclass(frozen=True, slots=True)
class RevisionBatch:
    """One page of the revisions stream."""

    revisions: tuple[Mapping[str, Any], ...]
    token: str | None  # where the next read starts
    is_last: bool


def revision_fields(status_field: str) -> list[str]:
    """The fields a transition needs, and no more: the status field and `System.ChangedDate`;
    with `System.State`, its `StateChangeDate` too (it tells a state change from another edit
    when a run resumes mid-stream); with `System.BoardColumn`, `System.State` too (an item on no
    board has no column: its state stands in, as in the item mapping)."""
    if status_field == STATE:
        return [STATE, CHANGED, STATE_CHANGED]
    return [status_field, CHANGED, STATE]


def parse_revision_batch(body: object) -> RevisionBatch:
    """Read one response. Raises ValueError when it is not a revisions batch."""
    if not isinstance(body, Mapping) or not isinstance(body.get("values"), list):
        raise ValueError("not a reporting revisions batch (no 'values' list)")
    revisions = tuple(value for value in body["values"] if isinstance(value, Mapping))
    return RevisionBatch(revisions, continuation_token(body), body.get("isLastBatch") is True)


def continuation_token(body: Mapping[str, Any]) -> str | None:
    """`continuationToken`, or the one inside `nextLink` (some responses carry only that)."""
    token = body.get("continuationToken")
    if isinstance(token, str) and token:
        return token
    link = body.get("nextLink")
    if isinstance(link, str):
        found = parse_qs(urlsplit(link).query).get("continuationToken")
        if found and found[0]:
            return found[0]
    return None


class TransitionTracker:
    """Turns the revision stream of one run into transitions, remembering each item's last
    status across pages. Only items `in_scope` produce transitions."""

    def __init__(self, source: str, status_field: str, in_scope: Callable[[str], bool]) -> None:
        self._source = source
        self._status_field = status_field
        self._in_scope = in_scope
        self._last_status: dict[str, str] = {}

    def feed(self, revisions: Iterable[Mapping[str, Any]]) -> list[StateChange]:
        changes: list[StateChange] = []
        for revision in revisions:
            change = self._transition(revision)
            if change is not None:
                changes.append(change)
        return changes

    def _transition(self, revision: Mapping[str, Any]) -> StateChange | None:
        parsed = _parse_revision(revision, self._status_field)
        if parsed is None:
            return None
        previous = self._last_status.get(parsed.key)
        self._last_status[parsed.key] = parsed.status
        if not self._in_scope(parsed.key):
            return None
        if previous is not None:
            if previous == parsed.status:
                return None
            return StateChange(self._source, parsed.key, parsed.at, previous, parsed.status)
        if parsed.rev == 1 or parsed.state_changed_here:
            return StateChange(self._source, parsed.key, parsed.at, None, parsed.status)
        return None


@dataclass(frozen=True, slots=True)
class _Revision:
    key: str
    rev: int
    status: str
    at: datetime
    state_changed_here: bool  # StateChangeDate == ChangedDate: the state changed in this revision


def _parse_revision(revision: Mapping[str, Any], status_field: str) -> _Revision | None:
    """None when the revision is malformed (history is best effort; items never depend on it)."""
    item_id, rev, fields = revision.get("id"), revision.get("rev"), revision.get("fields")
    if not isinstance(item_id, int) or not isinstance(rev, int) or not isinstance(fields, Mapping):
        return None
    status = fields.get(status_field) or fields.get(STATE)
    at = _date(fields.get(CHANGED))
    if not isinstance(status, str) or not status or at is None:
        return None
    state_changed = _date(fields.get(STATE_CHANGED)) if status_field == STATE else None
    return _Revision(str(item_id), rev, status, at, state_changed == at)


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
