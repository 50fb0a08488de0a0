"""An in-process fake Jira (Cloud or Data Center) on `responses`, strict about the specs.

Every request is checked against the official OpenAPI document (path, method, query parameter
names, JSON body schema) before it is answered, and every 2xx answer is validated against the
response schema, so a fixture can never drift from what Jira really sends. The fake keeps a log
of requests for exact counts, a server clock for the `Date` header, and a script of faults.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

from tests.contract import jira_render as render
from tests.contract.jira_render import FakeIssue
from tests.contract.jira_spec import check_request, check_response

BASE = "https://acme.atlassian.net"
DC_BASE = "https://jira.acme.test"

Reply = tuple[int, dict[str, str], str]


@dataclass
class Logged:
    method: str
    path: str
    body: Any
    authorization: str = ""

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class FakeJira:
    deployment: str = "cloud"
    issues: dict[str, FakeIssue] = field(default_factory=dict)
    fields: list[dict[str, Any]] = field(default_factory=render.default_fields)
    now: datetime = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
    list_cap: int = 5000  # keys per search page (Cloud)
    fields_cap: int = 100  # issues per search page when fields beyond the key are asked for
    changelog_cap: int = 10000  # histories per changelog page (Cloud)
    dc_cap: int = 1000  # the Data Center admin cap on maxResults
    issue_errors: set[str] = field(default_factory=set)  # keys bulkfetch reports as issueErrors
    faults: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    validate_responses: bool = True
    log: list[Logged] = field(default_factory=list)
    on_request: Callable[[FakeJira], None] | None = None  # runs before each answer

    @property
    def base(self) -> str:
        return BASE if self.deployment == "cloud" else DC_BASE

    def install(self, mock: responses.RequestsMock) -> FakeJira:
        pattern = re.compile(re.escape(self.base) + r"/.*")
        for method in (responses.GET, responses.POST):
            mock.add_callback(method, pattern, callback=self._dispatch)
        return self

    def add(self, *issues: FakeIssue) -> None:
        for issue in issues:
            self.issues[issue.key] = issue

    def counts(self) -> Counter[str]:
        return Counter(entry.endpoint for entry in self.log)

    def bodies(self, path: str) -> list[Any]:
        return [entry.body for entry in self.log if entry.path == path]

    def fail(self, endpoint: str, *replies: tuple[int, dict[str, str]]) -> None:
        """Answer the next requests to `endpoint` ("POST /rest/...") with these statuses;
        status 0 drops the connection instead, status -1 never answers (a read timeout)."""
        self.faults.setdefault(endpoint, []).extend(replies)

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self, request: requests.PreparedRequest) -> Reply:
        url, method = str(request.url), str(request.method)
        path = urlsplit(url).path
        operation = check_request(method, url, request.body, self.deployment)
        body = json.loads(request.body) if request.body else None
        self.log.append(Logged(method, path, body, str(request.headers.get("Authorization"))))
        if self.on_request is not None:
            self.on_request(self)
        scripted = self.faults.get(f"{method} {path}")
        if scripted:
            status, headers = scripted.pop(0)
            if status == 0:
                raise requests.ConnectionError("connection reset by peer")
            if status == -1:
                raise requests.ReadTimeout("read timed out")
            return status, {**self._headers(), **headers}, json.dumps({"errorMessages": ["no"]})
        handler = self._routes().get(f"{method} {path}")
        assert handler is not None, f"the fake does not serve {method} {path}"
        document = handler(body)
        if self.validate_responses:
            check_response(operation, 200, document)
        return 200, self._headers(), json.dumps(document)

    def _headers(self) -> dict[str, str]:
        return {"Date": format_datetime(self.now, usegmt=True), "Content-Type": "application/json"}

    def _routes(self) -> dict[str, Callable[[Any], Any]]:
        info = "/rest/api/2/serverInfo"
        common: dict[str, Callable[[Any], Any]] = {
            f"GET {info}": lambda _: render.server_info(self.base, self.deployment),
            "GET /rest/api/2/field": lambda _: self.fields,
        }
        if self.deployment == "cloud":
            return {
                **common,
                "POST /rest/api/3/search/jql": self._search_jql,
                "POST /rest/api/3/issue/bulkfetch": self._bulkfetch,
                "POST /rest/api/3/changelog/bulkfetch": self._changelogs,
            }
        return {**common, "POST /rest/api/2/search": self._dc_search}

    # -- Cloud ---------------------------------------------------------------------------------

    def _search_jql(self, body: dict[str, Any]) -> dict[str, Any]:
        found = render.run_jql(self.issues.values(), body["jql"])
        wanted = body.get("fields") or ["id"]
        keys_only = set(wanted) <= {"id", "key"}
        size = min(body.get("maxResults", 50), self.list_cap if keys_only else self.fields_cap)
        start = int(body.get("nextPageToken") or 0)
        page = found[start : start + size]
        result: dict[str, Any] = {
            "issues": [render.issue(issue, wanted, self.base, cloud=True) for issue in page],
            "isLast": start + size >= len(found),
        }
        if not result["isLast"]:
            result["nextPageToken"] = str(start + size)
        return result

    def _bulkfetch(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = body["issueIdsOrKeys"]
        assert len(ids) <= 100, "bulkfetch takes at most 100 issues"
        by_id = {str(issue.id): issue for issue in self.issues.values()}
        chosen = sorted((by_id[i] for i in ids if i in by_id), key=lambda issue: issue.id)
        errors = [issue for issue in chosen if issue.key in self.issue_errors]
        return {
            "issues": [
                render.issue(issue, body["fields"], self.base, cloud=True)
                for issue in chosen
                if issue not in errors
            ],
            "issueErrors": [
                {"id": str(issue.id), "errorMessage": "Retry later"} for issue in errors
            ],
        }

    def _changelogs(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = body["issueIdsOrKeys"]
        assert len(ids) <= 1000, "changelog/bulkfetch takes at most 1000 issues"
        assert body.get("fieldIds") == ["status"]
        by_id = {str(issue.id): issue for issue in self.issues.values()}
        entries = [
            (str(issue.id), history)
            for issue in sorted((by_id[i] for i in ids if i in by_id), key=lambda i: i.id)
            for history in render.changelog(issue)
        ]
        entries.sort(key=lambda pair: (pair[1]["created"], int(pair[0])))
        size = min(body.get("maxResults", 1000), self.changelog_cap)
        start = int(body.get("nextPageToken") or 0)
        grouped: dict[str, list[Any]] = {}
        for ident, history in entries[start : start + size]:
            grouped.setdefault(ident, []).append(history)
        result: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": ident, "changeHistories": histories}
                for ident, histories in grouped.items()
            ]
        }
        if start + size < len(entries):
            result["nextPageToken"] = str(start + size)
        return result

    # -- Data Center -------------------------------------------------------------------------

    def _dc_search(self, body: dict[str, Any]) -> dict[str, Any]:
        found = render.run_jql(self.issues.values(), body["jql"])
        size = min(body.get("maxResults", 50), self.dc_cap)
        start = body.get("startAt", 0)
        changelog = "changelog" in (body.get("expand") or [])
        wanted = body.get("fields") or ["*navigable"]
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": [
                render.issue(issue, wanted, self.base, cloud=False, changelog=changelog)
                for issue in found[start : start + size]
            ],
        }
