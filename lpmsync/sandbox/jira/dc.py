"""The Jira Data Center personality: REST v2 as Jira DC 10.x answers it.

`/rest/api/2/search` (GET and POST) pages with `startAt`/`maxResults`/`total`; `maxResults` is
silently capped by the server (default 1000, like `jira.search.views.default.max`) and the
effective value is reported in the response, so clients must read it back. `expand=changelog`
embeds every history, oldest first. Features point at their epic through the "Epic Link"
custom field. Authentication is a personal access token as `Authorization: Bearer`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lpmsync.sandbox.dataset import Dataset
from lpmsync.sandbox.http import Handler, Request, Response, Router
from lpmsync.sandbox.jira.common import (
    FieldSelection,
    View,
    error,
    issue_json,
    jira_time,
)
from lpmsync.sandbox.jira.fields import field_catalog, field_ids
from lpmsync.sandbox.jira.jql import JqlError
from lpmsync.sandbox.jira.requests import (
    SearchArgs,
    SearchIndex,
    check_bearer,
)

DEFAULT_MAX_RESULTS_CAP = 1000


def build_router(
    dataset: Dataset, *, pat: str, max_results_cap: int = DEFAULT_MAX_RESULTS_CAP
) -> Router:
    """Jira Data Center over `dataset`, answering searches at most `max_results_cap` per page."""
    server = _JiraDataCenter(dataset, max_results_cap)
    router = Router("jira-dc")

    def guarded(handler: Callable[[Request], Response]) -> Handler:
        def serve(request: Request) -> Response:
            return check_bearer(request, pat) or handler(request)

        return serve

    routes: list[tuple[str, str, Callable[[Request], Response]]] = [
        ("GET", "/rest/api/2/serverInfo", server.server_info),
        ("GET", "/rest/api/2/field", server.fields),
        ("GET", "/rest/api/2/search", server.search),
        ("POST", "/rest/api/2/search", server.search),
    ]
    for method, path, handler in routes:
        router.route(method, path, endpoint=path)(guarded(handler))
    return router


class _JiraDataCenter:
    def __init__(self, dataset: Dataset, max_results_cap: int) -> None:
        self.dataset = dataset
        self.cap = max_results_cap
        self.index = SearchIndex(dataset)
        self.known_fields = field_ids(cloud=False)

    def server_info(self, request: Request) -> Response:
        view = View.of(request, "2", cloud=False, project=self.dataset.project)
        return Response(
            body={
                "baseUrl": view.base,
                "version": "10.3.4",
                "versionNumbers": [10, 3, 4],
                "deploymentType": "Server",
                "buildNumber": 10030004,
                "buildDate": "2026-10-01T00:00:00.000+0000",
                "serverTime": jira_time(datetime.now(UTC)),
                "scmInfo": "e2f5a1c9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3",
                "serverTitle": "Acme Jira Data Center (lpmsync sandbox)",
            }
        )

    def fields(self, request: Request) -> Response:
        return Response(body=field_catalog(cloud=False))

    def search(self, request: Request) -> Response:
        try:
            args = SearchArgs.read(request)
            found = self.index.search(args.jql)
        except (JqlError, ValueError) as exc:
            return error(400, str(exc))
        page_size = min(args.max_results, self.cap)  # silently capped, reported below
        view = View.of(request, "2", cloud=False, project=self.dataset.project)
        selection = FieldSelection(
            ["*navigable"] if args.fields is None else args.fields, self.known_fields
        )
        changelog = "changelog" in args.expand
        page = found[args.start_at : args.start_at + page_size]
        body = {
            "expand": "schema,names",
            "startAt": args.start_at,
            "maxResults": page_size,
            "total": len(found),
            "issues": [
                issue_json(item, view, selection, self.dataset, changelog=changelog)
                for item in page
            ],
        }
        if "names" in args.expand:
            body["names"] = {field["id"]: field["name"] for field in field_catalog(cloud=False)}
        return Response(body=body)
