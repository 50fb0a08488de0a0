"""A fake Azure DevOps organisation on `responses`: the SDK's discovery calls, WIQL (the id-query
forms lpmsync sends), workitemsbatch and reporting revisions. Every WIT request is checked
against the 7.1 spec and counted by kind; faults can be queued for the next requests."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from requests import PreparedRequest

from tests.contract.ado_spec import check_request, check_response

ORG = "https://dev.azure.com/contoso"
PROJECT = "Contoso"
WIT_AREA = "5264459e-e5e0-4bd8-b118-0985e68a4ec5"

_VERSIONS = {"minVersion": 1.0, "maxVersion": 7.1, "releasedVersion": "7.1"}
LOCATIONS = [
    {
        "id": "e81700f7-3be2-46de-8624-2eb35882fcaa",
        "area": "Location",
        "resourceName": "ResourceAreas",
        "routeTemplate": "_apis/{resource}/{areaId}",
        "resourceVersion": 1,
        **_VERSIONS,
        "releasedVersion": "0.0",
    },
    {
        "id": "1a9c53f7-f243-4447-b110-35ef023636e4",
        "area": "wit",
        "resourceName": "wiql",
        "routeTemplate": "{project}/{team}/_apis/{area}/{resource}/{id}",
        "resourceVersion": 2,
        **_VERSIONS,
    },
    {
        "id": "908509b6-4248-4475-a1cd-829139ba419f",
        "area": "wit",
        "resourceName": "workItemsBatch",
        "routeTemplate": "{project}/_apis/{area}/{resource}",
        "resourceVersion": 1,
        **_VERSIONS,
    },
    {
        "id": "f828fe59-dd87-495d-a17c-7a8d6211ca6c",
        "area": "wit",
        "resourceName": "workItemRevisions",
        "routeTemplate": "{project}/_apis/{area}/reporting/{resource}",
        "resourceVersion": 2,
        **_VERSIONS,
    },
]

Reply = tuple[int, dict[str, str], str]
_OPERATIONS = {
    "wiql": "Wiql_Query By Wiql",
    "batch": "Work Items_Get Work Items Batch",
    "revisions": "Reporting Work Item Revisions_Read Reporting Revisions Get",
}


def fields_of(
    item_id: int,
    kind: str = "Epic",
    state: str = "New",
    changed: str = "2026-11-01T10:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """A work item as workitemsbatch returns it."""
    fields = {
        "System.Id": item_id,
        "System.WorkItemType": kind,
        "System.State": state,
        "System.Title": f"{kind} {item_id}",
        "System.AreaPath": "Contoso\\Payments\\Team A",
        "System.CreatedDate": "2026-01-05T08:00:00Z",
        "System.ChangedDate": changed,
        "Microsoft.VSTS.Common.StateChangeDate": changed,
        **extra,
    }
    return {
        "id": item_id,
        "rev": 1,
        "fields": fields,
        "url": f"{ORG}/_apis/wit/workItems/{item_id}",
    }


@dataclass
class FakeBoards:
    """Items by id (raw JSON as the service would send it) and the revisions stream."""

    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    revisions_page: int = 1000
    as_of: str = "2026-11-16T09:00:00Z"
    faults: list[Reply | Exception] = field(default_factory=list)  # for the next WIT requests
    throttle: list[str] = field(default_factory=list)  # Retry-After on the next WIT successes
    counts: Counter[str] = field(default_factory=Counter)
    wiql_queries: list[str] = field(default_factory=list)
    wiql_params: list[dict[str, list[str]]] = field(default_factory=list)
    batch_bodies: list[dict[str, Any]] = field(default_factory=list)
    revision_queries: list[dict[str, list[str]]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)

    def total(self) -> int:
        """Every request answered, discovery and faults included."""
        return sum(self.counts.values())

    def wit(self, kind: str) -> int:
        """Requests to one WIT operation: "wiql", "batch" or "revisions"."""
        return self.counts[_OPERATIONS[kind]]

    def add(self, *raw_items: dict[str, Any]) -> None:
        for raw in raw_items:
            self.items[int(raw["id"])] = raw

    def install(self, rsps: responses.RequestsMock) -> None:
        org = re.escape(ORG)
        rsps.add_callback("OPTIONS", re.compile(f"{org}/_apis/?"), self._wrap(self._options))
        rsps.add_callback(
            "GET", re.compile(f"(?i){org}/_apis/ResourceAreas.*"), self._wrap(self._areas)
        )
        rsps.add_callback(
            "POST", re.compile(f"(?i){org}/[^/]+(/[^/]+)?/_apis/wit/wiql.*"), self._wit(self._wiql)
        )
        rsps.add_callback(
            "POST",
            re.compile(f"(?i){org}/[^/]+/_apis/wit/workitemsbatch.*"),
            self._wit(self._batch),
        )
        rsps.add_callback(
            "GET",
            re.compile(f"(?i){org}/[^/]+/_apis/wit/reporting/workitemrevisions.*"),
            self._wit(self._revisions),
        )

    def _wrap(self, handler: Any) -> Any:
        def callback(request: PreparedRequest) -> Reply:
            self.headers_seen.append(dict(request.headers))
            self.counts["discovery"] += 1
            reply: Reply = handler(request)
            return reply

        return callback

    def _wit(self, handler: Any) -> Any:
        def callback(request: PreparedRequest) -> Reply:
            self.headers_seen.append(dict(request.headers))
            operation = check_request(
                request.method or "", request.url or "", request.headers, request.body
            )
            self.counts[operation] += 1
            if self.faults:
                fault = self.faults.pop(0)
                if isinstance(fault, Exception):
                    raise fault
                return fault
            status, headers, body = handler(request)
            if status == 200:
                check_response(operation, json.loads(body))
            if self.throttle:
                headers = {**headers, "Retry-After": self.throttle.pop(0)}
            return status, headers, body

        return callback

    def _options(self, request: PreparedRequest) -> Reply:
        return _json({"count": len(LOCATIONS), "value": LOCATIONS})

    def _areas(self, request: PreparedRequest) -> Reply:
        area = {"id": WIT_AREA, "name": "wit", "locationUrl": f"{ORG}/"}
        return _json({"count": 1, "value": [area]})

    def _wiql(self, request: PreparedRequest) -> Reply:
        query = json.loads(request.body or b"{}")["query"]
        self.wiql_queries.append(query)
        params = parse_qs(urlsplit(request.url or "").query)
        self.wiql_params.append(params)
        top = int(params["$top"][0]) if "$top" in params else None
        ids = [item_id for item_id in sorted(self.items) if self._matches(item_id, query)]
        if top is None and len(ids) > 20_000:
            error = {
                "message": "VS402337: The number of work items returned exceeds the size "
                "limit of 20000.",
                "typeKey": "QueryTooLargeException",
            }
            return 400, {"Content-Type": "application/json"}, json.dumps(error)
        window = ids[:top] if top is not None else ids
        return _json(
            {
                "queryType": "flat",
                "queryResultType": "workItem",
                "asOf": self.as_of,
                "columns": [{"referenceName": "System.Id", "name": "ID"}],
                "workItems": [{"id": i, "url": f"{ORG}/_apis/wit/workItems/{i}"} for i in window],
            }
        )

    def _matches(self, item_id: int, query: str) -> bool:
        """The conditions lpmsync's id queries use; a type lpmsync cannot read still lists."""
        fields = self.items[item_id].get("fields")
        fields = fields if isinstance(fields, dict) else {}
        types = re.search(r"\[System\.WorkItemType\] IN \(([^)]*)\)", query)
        assert types and "[System.TeamProject] = @project" in query
        assert query.endswith("ORDER BY [System.Id]")
        names = re.findall(r"'((?:[^']|'')*)'", types.group(1))
        kind = fields.get("System.WorkItemType", names[0])
        after = re.search(r"\[System\.Id\] > (\d+)", query)
        since = re.search(r"\[System\.ChangedDate\] >= '([^']+)'", query)
        changed = str(fields.get("System.ChangedDate", "1970-01-01T00:00:00Z"))
        return (
            kind in names
            and (after is None or item_id > int(after.group(1)))
            and (since is None or changed[:19] >= since.group(1)[:19])
        )

    def _batch(self, request: PreparedRequest) -> Reply:
        body = json.loads(request.body or b"{}")
        self.batch_bodies.append(body)
        assert len(body["ids"]) <= 200
        wanted = set(body["fields"])
        value = []
        for item_id in body["ids"]:
            raw = self.items.get(item_id)
            if raw is not None and isinstance(raw.get("fields"), dict):
                raw = {**raw, "fields": {k: v for k, v in raw["fields"].items() if k in wanted}}
            value.append(raw)
        return _json({"count": len(value), "value": value})

    def _revisions(self, request: PreparedRequest) -> Reply:
        params = parse_qs(urlsplit(request.url or "").query)
        self.revision_queries.append(params)
        wanted = set(params["fields"][0].split(","))
        types = set(params["types"][0].split(","))
        start = int(params.get("continuationToken", ["0"])[0])
        stream = [r for r in self.revisions if r["fields"].get("System.WorkItemType") in types]
        end = min(start + self.revisions_page, len(stream))
        values = [
            {**r, "fields": {k: v for k, v in r["fields"].items() if k in wanted}}
            for r in stream[start:end]
        ]
        return _json(
            {
                "values": values,
                "nextLink": f"{ORG}/_apis/wit/reporting/workItemRevisions?continuationToken={end}",
                "continuationToken": str(end),
                "isLastBatch": end >= len(stream),
            }
        )


def _json(body: Any) -> Reply:
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body)
