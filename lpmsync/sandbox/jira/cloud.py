"""The Jira Cloud personality: REST v2 and v3 as Jira Cloud answers them today.

`/search/jql` pages with `nextPageToken`/`isLast` and no total, returns ids only unless `fields`
is given, and serves up to 5000 ids or 100 issues with fields per page; the old `/search` answers
410 exactly like the real one; `issue/bulkfetch` (<= 100) and `changelog/bulkfetch` (<= 1000,
paged, oldest first) fetch in bulk. Every endpoint wants Basic auth with the sandbox email and
API token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.http import Handler, Request, Response, Router
from lpmsync.sandbox.jira.changelog import bulk_changelogs
from lpmsync.sandbox.jira.common import (
    FieldSelection,
    View,
    error,
    issue_json,
    jira_time,
    split_list,
)
from lpmsync.sandbox.jira.fields import field_catalog, field_ids
from lpmsync.sandbox.jira.jql import JqlError, parse
from lpmsync.sandbox.jira.requests import (
    SearchArgs,
    SearchIndex,
    check_basic,
    decode_token,
    encode_token,
)

ID_PAGE_LIMIT = 5000
FIELDS_PAGE_LIMIT = 100
BULK_FETCH_LIMIT = 100
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


def build_router(dataset: Dataset, *, email: str, token: str) -> Router:
    """Jira Cloud over `dataset` (latency and faults come from the SandboxServer's Knobs)."""
    cloud = _JiraCloud(dataset)
    router = Router("jira-cloud")

    def guarded(handler: Callable[[Request, str], Response], api: str) -> Handler:
        def serve(request: Request) -> Response:
            return check_basic(request, email, token) or handler(request, api)

        return serve

    for api in ("2", "3"):
        prefix = f"/rest/api/{api}"
        routes: list[tuple[str, str, Callable[[Request, str], Response]]] = [
            ("GET", "/serverInfo", cloud.server_info),
            ("GET", "/field", cloud.fields),
            ("GET", "/search/jql", cloud.search),
            ("POST", "/search/jql", cloud.search),
            ("POST", "/search/approximate-count", cloud.count),
            ("GET", "/search", cloud.removed_search),
            ("POST", "/search", cloud.removed_search),
            ("POST", "/issue/bulkfetch", cloud.bulk_fetch),
            ("POST", "/changelog/bulkfetch", cloud.changelogs),
        ]
        for method, path, handler in routes:
            router.route(method, prefix + path, endpoint=prefix + path)(guarded(handler, api))
    return router


class _JiraCloud:
    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.index = SearchIndex(dataset)
        self.known_fields = field_ids(cloud=True)

    def view(self, request: Request, api: str) -> View:
        return View.of(request, api, cloud=True, project=self.dataset.project)

    def server_info(self, request: Request, api: str) -> Response:
        now = datetime.now(UTC)
        return Response(
            body={
                "baseUrl": self.view(request, api).base,
                "displayUrl": self.view(request, api).base,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100287,
                "buildDate": "2026-11-01T00:00:00.000+0000",
                "serverTime": jira_time(now),
                "scmInfo": "32b43b28d3f0c3ee7f2535b395e90b205ac3bc6f",
                "serverTitle": "Acme Jira (lpmsync sandbox)",
                "serverTimeZone": "UTC",
            }
        )

    def fields(self, request: Request, api: str) -> Response:
        return Response(body=field_catalog(cloud=True))

    def removed_search(self, request: Request, api: str) -> Response:
        return error(410, SEARCH_REMOVED)

    def count(self, request: Request, api: str) -> Response:
        body = request.json() or {}
        query_text = str(body.get("jql") or "") if isinstance(body, dict) else ""
        try:
            if not parse(query_text).bounded:
                return error(400, UNBOUNDED)
            return Response(body={"count": len(self.index.search(query_text))})
        except JqlError as exc:
            return error(400, str(exc))

    def search(self, request: Request, api: str) -> Response:
        try:
            args = SearchArgs.read(request)
            if not parse(args.jql).bounded:
                return error(400, UNBOUNDED)
            found = self.index.search(args.jql)
            offset = decode_token(args.next_page_token, args.jql)
        except (JqlError, ValueError) as exc:
            return error(400, str(exc))
        selection = FieldSelection(args.fields or [], self.known_fields)
        limit = ID_PAGE_LIMIT if selection.requested_only_ids else FIELDS_PAGE_LIMIT
        end = offset + min(max(args.max_results, 1), limit)
        view = self.view(request, api)
        issues: list[dict[str, Any]] = [
            {"id": str(item.id)}
            if args.fields is None
            else issue_json(
                item, view, selection, self.dataset, changelog="changelog" in args.expand
            )
            for item in found[offset:end]
        ]
        body: dict[str, Any] = {"issues": issues, "isLast": end >= len(found)}
        if end < len(found):
            body["nextPageToken"] = encode_token(end, args.jql)
        if "names" in args.expand:
            body["names"] = {field["id"]: field["name"] for field in field_catalog(cloud=True)}
        return Response(body=body)

    def bulk_fetch(self, request: Request, api: str) -> Response:
        body = request.json() or {}
        wanted = body.get("issueIdsOrKeys") if isinstance(body, dict) else None
        if not isinstance(wanted, list) or not wanted or len(wanted) > BULK_FETCH_LIMIT:
            return error(
                400,
                f"issueIdsOrKeys must hold between 1 and {BULK_FETCH_LIMIT} issue IDs or keys.",
            )
        requested = body.get("fields")
        selection = FieldSelection(
            ["*all"] if requested is None else split_list(requested), self.known_fields
        )
        expand = split_list(body.get("expand"))
        found: dict[int, SampleItem] = {}
        errors: list[dict[str, str]] = []
        for id_or_key in dict.fromkeys(str(value) for value in wanted):
            item = self.index.find(id_or_key)
            if item is None:
                errors.append(
                    {
                        "id": id_or_key,
                        "errorMessage": "Issue does not exist or you do not have permission "
                        "to see it.",
                    }
                )
            else:
                found[item.id] = item
        view = self.view(request, api)
        issues = [
            issue_json(item, view, selection, self.dataset, changelog="changelog" in expand)
            for _, item in sorted(found.items())
        ]
        return Response(body={"issues": issues, "issueErrors": errors})

    def changelogs(self, request: Request, api: str) -> Response:
        return bulk_changelogs(request, self.index, self.view(request, api))
