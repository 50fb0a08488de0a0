"""`GET|POST .../_apis/wit/reporting/workitemrevisions`: every revision, paged by watermark.

A continuation token is `watermark;id;rev` of the last revision the page examined. The last page
still carries a token and a `nextLink`: polling it later returns only what changed since, which
is how the real API is meant to be read ("persist nextLink, pause when isLastBatch").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from lpmsync.sandbox.azure_devops.common import (
    bad_request,
    json_body,
    parse_date,
    query_list,
    require_api_version,
)
from lpmsync.sandbox.azure_devops.fields import FieldDef, render_fields, require_fields
from lpmsync.sandbox.azure_devops.revisions import Revision
from lpmsync.sandbox.azure_devops.state import AdoState
from lpmsync.sandbox.dataset import SampleItem
from lpmsync.sandbox.http import Request, Response

MAX_PAGE_SIZE = 1000
_CARRIED_OVER = ("fields", "types", "includeIdentityRef", "includeLatestOnly", "$maxPageSize")


@dataclass(frozen=True)
class RevisionQuery:
    fields: list[FieldDef] | None
    types: set[str] | None  # lower-case work item types
    after: int  # watermark
    start: datetime | None
    latest_only: bool
    identity_ref: bool
    page_size: int


def read_reporting_revisions(state: AdoState, request: Request) -> Response:
    version = require_api_version(request)
    project = state.project(request)
    query = _query(state, request)
    ledger = state.ledger
    ledger.catch_up()

    def accept(revision: Revision, item: SampleItem) -> bool:
        return (
            (query.types is None or item.kind.lower() in query.types)
            and (query.start is None or revision.at >= query.start)
            and (not query.latest_only or ledger.is_latest(revision))
        )

    found, position, is_last = ledger.page(query.after, query.page_size, accept)
    token = _token(state, position)
    values = [
        {
            "id": revision.item_id,
            "rev": revision.rev,
            "fields": render_fields(
                state.view_at(revision, item), query.fields, identity_as_ref=query.identity_ref
            ),
        }
        for revision, item in found
    ]
    body = {
        "values": values,
        "nextLink": _next_link(state, request, project, token, version),
        "continuationToken": token,
        "isLastBatch": is_last,
    }
    return Response(
        200,
        body,
        {"X-MS-ContinuationToken": token},
        content_type="application/json; charset=utf-8",
    )


def _query(state: AdoState, request: Request) -> RevisionQuery:
    options = _post_filter(request) if request.method == "POST" else _get_filter(request)
    token = request.arg("continuationToken")
    start_text = request.arg("startDateTime")
    if token is not None and start_text is not None:
        raise bad_request("startDateTime cannot be used together with a continuationToken.")
    fields, types, latest_only, identity_ref = options
    return RevisionQuery(
        fields=require_fields(fields) if fields else None,
        types={name.lower() for name in types} if types else None,
        after=_parse_token(token) if token is not None else 0,
        start=_start(start_text),
        latest_only=latest_only,
        identity_ref=identity_ref,
        page_size=_page_size(state, request.arg("$maxPageSize")),
    )


def _get_filter(request: Request) -> tuple[list[str] | None, list[str] | None, bool, bool]:
    return (
        query_list(request, "fields"),
        query_list(request, "types"),
        _flag(request.arg("includeLatestOnly")),
        _flag(request.arg("includeIdentityRef")),
    )


def _post_filter(request: Request) -> tuple[list[str] | None, list[str] | None, bool, bool]:
    body = json_body(request)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_request("The request body must be a ReportingWorkItemRevisionsFilter object.")
    fields, types = body.get("fields"), body.get("types")
    for name, value in (("fields", fields), ("types", types)):
        if value is not None and not (
            isinstance(value, list) and all(isinstance(entry, str) for entry in value)
        ):
            raise bad_request(f"{name} must be a list of strings.")
    return (
        fields,
        types,
        body.get("includeLatestOnly") is True,
        body.get("includeIdentityRef") is True,
    )


def _flag(text: str | None) -> bool:
    return text is not None and text.lower() == "true"


def _start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise bad_request(f"startDateTime is not a valid date-time: {text}") from exc


def _page_size(state: AdoState, text: str | None) -> int:
    if text is None:
        return state.revisions_page_size
    try:
        size = int(text)
    except ValueError as exc:
        raise bad_request(f"$maxPageSize must be an integer, not '{text}'.") from exc
    if size < 1:
        raise bad_request("$maxPageSize must be positive.")
    return min(size, MAX_PAGE_SIZE)


def _parse_token(token: str) -> int:
    head = token.split(";", maxsplit=1)[0].strip()
    if not head.isdigit():
        raise bad_request(f"The continuation token '{token}' is not valid.")
    return int(head)


def _token(state: AdoState, position: int) -> str:
    revision = state.ledger.at_watermark(position)
    if revision is None:
        return f"{position};0;0"
    return f"{position};{revision.item_id};{revision.rev}"


def _next_link(
    state: AdoState, request: Request, project: str | None, token: str, version: str
) -> str:
    base = state.org_url(request)
    if project is not None:
        base += f"/{quote(project)}"
    params: list[tuple[str, Any]] = []
    if request.method == "GET":
        params.extend(
            (name, value) for name in _CARRIED_OVER for value in request.query.get(name, [])
        )
    params.extend([("continuationToken", token), ("api-version", version)])
    return f"{base}/_apis/wit/reporting/workItemRevisions?{urlencode(params, safe=';,$')}"
