"""The Azure DevOps Services personality of the sandbox.

`build_router(dataset, pat=...)` answers, under `/{organization}`, what lpmsync and the real
`azure-devops` SDK send: resource-area and location discovery (`GET _apis/ResourceAreas`,
`OPTIONS _apis`), WIQL, `workitemsbatch`, `workitems?ids=`, and reporting work item revisions.
Organisation, project and resource names match case-insensitively, as on the real service.

Authentication is a PAT as the password of HTTP Basic. A missing or wrong PAT gets what the real
service gives a browser: HTTP 203 with an HTML sign-in page, unless the request says
`X-TFS-FedAuthRedirect: Suppress` (the SDK always does), which gets a 401.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lpmsync.sandbox.azure_devops.common import AdoError, host_url, path_param
from lpmsync.sandbox.azure_devops.items import (
    get_work_item,
    get_work_items_batch,
    list_work_items,
    query_by_wiql,
)
from lpmsync.sandbox.azure_devops.reporting import read_reporting_revisions
from lpmsync.sandbox.azure_devops.state import AdoState
from lpmsync.sandbox.dataset import Dataset
from lpmsync.sandbox.http import Handler, Request, Response, Router

WIT_AREA_ID = "5264459e-e5e0-4bd8-b118-0985e68a4ec5"

# (id, area, resourceName, routeTemplate, resourceVersion, minVersion, maxVersion, released):
# the locations the service publishes for the endpoints served here, as the SDK looks them up.
LOCATIONS = (
    ("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas",
     "_apis/{resource}/{areaId}", 1, "3.2", "7.1", "0.0"),
    ("1a9c53f7-f243-4447-b110-35ef023636e4", "wit", "wiql",
     "{project}/{team}/_apis/{area}/{resource}", 2, "1.0", "7.1", "7.1"),
    ("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b", "wit", "workItems",
     "{project}/_apis/{area}/{resource}/{id}", 3, "1.0", "7.1", "7.1"),
    ("908509b6-4248-4475-a1cd-829139ba419f", "wit", "workItemsBatch",
     "{project}/_apis/{area}/{resource}", 1, "5.0", "7.1", "7.1"),
    ("f828fe59-dd87-495d-a17c-7a8d6211ca6c", "wit", "workItemRevisions",
     "{project}/_apis/{area}/reporting/{resource}", 2, "2.0", "7.1", "7.1"),
)  # fmt: skip
# Areas the SDK may ask for. Listing "work" and "core" too keeps an SDK that wants them here,
# failing locally, instead of falling back to the public deployment-level lookup service.
RESOURCE_AREAS = (
    (WIT_AREA_ID, "wit"),
    ("1d4f49f9-02b9-4e26-b826-2cdb6195f2a9", "work"),
    ("79134c72-4a58-4b42-976c-04e7115f32bf", "core"),
)

_SIGN_IN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Azure DevOps Services | Sign In</title></head>
<body><form method="post" action="https://login.microsoftonline.com/common/oauth2/authorize">
<h1>Sign in to Azure DevOps</h1><p>Sign in with your Microsoft account to continue.</p>
</form></body></html>
"""

_JSON = "application/json; charset=utf-8"


def build_router(
    dataset: Dataset,
    *,
    pat: str,
    organization: str = "contoso",
    clock: Callable[[], datetime] | None = None,
    revisions_page_size: int = 200,
) -> Router:
    """The Azure DevOps personality over `dataset` (its `project` is the one project served).
    Serve it with `SandboxServer`; the organisation URL is `{server.url}/{organization}`."""
    state = AdoState(dataset, organization, clock or (lambda: datetime.now(UTC)))
    state.revisions_page_size = revisions_page_size
    router = Router("azure-devops")
    org = f"/(?i:{re.escape(organization)})"
    project = r"/(?P<project>(?!_apis/)[^/]+)"
    team = r"/(?P<team>(?!_apis/)[^/]+)"

    def add(method: str, pattern: str, endpoint: str, handler: Handler) -> None:
        router.route(method, pattern, endpoint)(_guarded(pat, handler))

    add("OPTIONS", f"{org}(?:{project})?/_apis(?:/(?P<area>[^/]+))?/?", "/_apis", _options)
    areas = org + r"/_apis/(?i:ResourceAreas)"
    add("GET", f"{areas}/?", "/_apis/ResourceAreas", lambda r: _resource_areas(state, r))
    add("GET", f"{areas}/(?P<area_id>[^/]+)", "/_apis/ResourceAreas", _area_of(state))
    for prefix in (org, org + project, org + project + team):
        wiql = _bound(state, query_by_wiql)
        add("POST", f"{prefix}/_apis/(?i:wit/wiql)/?", "/_apis/wit/wiql", wiql)
    for prefix in (org, org + project):
        for method, resource, endpoint, handler in _WORK_ITEM_ROUTES:
            add(method, f"{prefix}/_apis/(?i:wit/{resource})/?", endpoint, _bound(state, handler))
    return router


# Organisation- and project-level routes: (method, resource pattern, endpoint name, handler).
_WORK_ITEM_ROUTES: tuple[tuple[str, str, str, Callable[[AdoState, Request], Response]], ...] = (
    ("POST", "workitemsbatch", "/_apis/wit/workitemsbatch", get_work_items_batch),
    ("GET", "workitems", "/_apis/wit/workitems", list_work_items),
    ("GET", r"workitems/(?P<id>\d+)", "/_apis/wit/workitems/{id}", get_work_item),
    ("GET", "reporting/workitemrevisions", "/_apis/wit/reporting/workitemrevisions",
     read_reporting_revisions),
    ("POST", "reporting/workitemrevisions", "/_apis/wit/reporting/workitemrevisions",
     read_reporting_revisions),
)  # fmt: skip


def _bound(state: AdoState, handler: Callable[[AdoState, Request], Response]) -> Handler:
    return lambda request: handler(state, request)


def _guarded(pat: str, handler: Handler) -> Handler:
    """Checks the PAT, then turns `AdoError`s into the service's wrapped-exception JSON."""

    def guarded(request: Request) -> Response:
        if not _authenticated(request, pat):
            return _unauthenticated(request)
        try:
            return handler(request)
        except AdoError as error:
            return error.response()

    return guarded


def _authenticated(request: Request, pat: str) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _, _, password = decoded.partition(":")
    return hmac.compare_digest(password.encode(), pat.encode())


def _unauthenticated(request: Request) -> Response:
    if request.headers.get("x-tfs-fedauthredirect", "").lower() == "suppress":
        return Response(
            401,
            "Access Denied: the Personal Access Token is missing or not valid.",
            {"WWW-Authenticate": f'Basic realm="{host_url(request)}/"'},
            content_type="text/plain; charset=utf-8",
        )
    return Response(203, _SIGN_IN_PAGE, content_type="text/html; charset=utf-8")


def _options(request: Request) -> Response:
    area = path_param(request, "area")
    value = [
        {
            "id": location_id,
            "area": location_area,
            "resourceName": resource,
            "routeTemplate": template,
            "resourceVersion": resource_version,
            "minVersion": min_version,
            "maxVersion": max_version,
            "releasedVersion": released,
        }
        for location_id, location_area, resource, template, resource_version, min_version,
        max_version, released in LOCATIONS
        if area is None or area.lower() == location_area.lower()
    ]  # fmt: skip
    return Response(200, {"count": len(value), "value": value}, content_type=_JSON)


def _area_info(state: AdoState, request: Request, area_id: str, name: str) -> dict[str, Any]:
    return {"id": area_id, "name": name, "locationUrl": f"{state.org_url(request)}/"}


def _resource_areas(state: AdoState, request: Request) -> Response:
    value = [_area_info(state, request, area_id, name) for area_id, name in RESOURCE_AREAS]
    return Response(200, {"count": len(value), "value": value}, content_type=_JSON)


def _area_of(state: AdoState) -> Handler:
    def handler(request: Request) -> Response:
        wanted = (path_param(request, "area_id") or "").lower()
        for area_id, name in RESOURCE_AREAS:
            if wanted in (area_id, name):
                return Response(200, _area_info(state, request, area_id, name), content_type=_JSON)
        raise AdoError(404, f"The resource area {wanted} was not found.", "ResourceAreaNotFound")

    return handler
