"""Status history from Jira changelogs: transitions and when an item entered its status. Pure.

Cloud's `changelog/bulkfetch` and Data Center's `expand=changelog` share the `Changelog` shape
(`created`, `items[{field, fieldId, fieldtype, from, fromString, to, toString}]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lpmsync.connectors.jira.values import JSON_OBJECT, MalformedValueError, parse_datetime
from lpmsync.domain.model import StateChange


def histories_of(raw: Mapping[str, Any], given: Sequence[object] | None) -> Sequence[object]:
    if given is not None:
        return given
    changelog = raw.get("changelog")
    embedded = changelog.get("histories") if isinstance(changelog, JSON_OBJECT) else None
    return embedded if isinstance(embedded, list) else []


def status_changes(
    key: str, histories: Sequence[object], source: str
) -> list[tuple[StateChange, str | None]]:
    """Status transitions, oldest first, each with the target status id when Jira gave one.

    Entries that are not status changes, or carry no time or target, are left out: history is
    supporting evidence, and one odd entry must not cost the item."""
    found: list[tuple[StateChange, str | None]] = []
    for history in histories:
        if not isinstance(history, dict):  # decoded JSON: a dict is the only mapping it holds
            continue
        at: datetime | None = None
        for change in history.get("items") or ():
            # Most entries change other fields: the time is parsed at the first status change.
            if not (isinstance(change, dict) and _is_status(change)):
                continue
            to_status = change.get("toString")
            if not isinstance(to_status, str) or not to_status:
                continue
            if at is None:
                try:
                    at = parse_datetime(history.get("created"), "changelog created")
                except MalformedValueError:
                    break
            from_status, target = change.get("fromString"), change.get("to")
            found.append(
                (
                    StateChange(
                        source,
                        key,
                        at,
                        from_status if isinstance(from_status, str) else None,
                        to_status,
                    ),
                    target if isinstance(target, str) else None,
                )
            )
    found.sort(key=by_time)
    return found


def by_time(pair: tuple[StateChange, str | None]) -> datetime:
    return pair[0].at


def _is_status(change: Mapping[str, Any]) -> bool:
    field_id = change.get("fieldId")
    if field_id is not None:
        return bool(field_id == "status")
    return change.get("field") == "status" and change.get("fieldtype") in (None, "jira")


def entered_state_at(
    history: Sequence[tuple[StateChange, str | None]], status: str, status_id: str | None
) -> datetime | None:
    """When the item last moved INTO its current status (by status id when both sides have
    one, so a renamed status still matches), or None when the history never shows it."""
    for change, target_id in reversed(history):
        if status_id is not None and target_id is not None:
            if target_id == status_id:
                return change.at
        elif change.to_status.casefold() == status.casefold():
            return change.at
    return None
