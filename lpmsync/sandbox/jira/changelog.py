"""Jira Cloud's `POST /rest/api/3/changelog/bulkfetch`: status histories of up to 1000 issues,
oldest change first then by issue id, `fieldIds` filtering, paged by `nextPageToken`."""

from __future__ import annotations

from typing import Any

from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.jira.common import (
    View,
    changelog_entries,
    error,
)
from lpmsync.sandbox.jira.requests import (
    SearchIndex,
    decode_token,
    encode_token,
)

MAX_ISSUES = 1000
MAX_FIELD_IDS = 10
DEFAULT_MAX_RESULTS = 1000
MAX_RESULTS_LIMIT = 10000


def bulk_changelogs(request: Request, index: SearchIndex, view: View) -> Response:
    body = request.json() or {}
    if not isinstance(body, dict):
        return error(400, "The request body must be a JSON object.")
    wanted = body.get("issueIdsOrKeys")
    field_ids = body.get("fieldIds") or []
    if not isinstance(wanted, list) or not wanted or len(wanted) > MAX_ISSUES:
        return error(400, f"issueIdsOrKeys must hold between 1 and {MAX_ISSUES} issue IDs or keys.")
    if not isinstance(field_ids, list) or len(field_ids) > MAX_FIELD_IDS:
        return error(400, f"fieldIds must be a list of at most {MAX_FIELD_IDS} field IDs.")
    max_results = body.get("maxResults", DEFAULT_MAX_RESULTS)
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS_LIMIT:
        return error(400, f"maxResults must be between 1 and {MAX_RESULTS_LIMIT}.")
    scope = (sorted(str(value) for value in wanted), sorted(field_ids))
    try:
        offset = decode_token(body.get("nextPageToken"), *scope)
    except ValueError as exc:
        return error(400, str(exc))
    entries = _entries(index, [str(value) for value in wanted], set(field_ids), view)
    page = entries[offset : offset + max_results]
    result: dict[str, Any] = {"issueChangeLogs": _grouped(page)}
    if offset + max_results < len(entries):
        result["nextPageToken"] = encode_token(offset + max_results, *scope)
    return Response(body=result)


def _entries(
    index: SearchIndex, wanted: list[str], field_ids: set[str], view: View
) -> list[tuple[str, int, dict[str, Any]]]:
    """(created, issue id, changelog) for every matching change, oldest first then by id."""
    items = {item.id: item for item in map(index.find, wanted) if item is not None}
    entries = []
    for issue_id, item in items.items():
        for history in changelog_entries(item, view):
            every = history["items"]
            changed = [
                change for change in every if not field_ids or change["fieldId"] in field_ids
            ]
            if changed and len(changed) == len(every):  # the same JSON: no copy of the entry
                entries.append((history["created"], issue_id, history))
            elif changed:
                entries.append((history["created"], issue_id, {**history, "items": changed}))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return entries


def _grouped(page: list[tuple[str, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One IssueChangeLog per issue, in the order the page first reaches each issue."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for _, issue_id, history in page:
        grouped.setdefault(issue_id, []).append(history)
    return [
        {"issueId": str(issue_id), "changeHistories": histories}
        for issue_id, histories in grouped.items()
    ]
