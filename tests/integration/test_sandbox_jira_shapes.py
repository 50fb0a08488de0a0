"""Every response type of the Jira personalities validates against the official OpenAPI specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.jira import cloud as jira_cloud
from lpmsync.sandbox.jira import dc as jira_dc
from tests.spec_schemas import (
    collection_wrapped,
    component_schema,
    response_schema,
    spec_path,
    validate,
)

EMAIL, TOKEN = "portfolio-bot@acme.example", "sandbox-token"
CLOUD_SPEC = "jira-cloud-platform-v3.swagger-v3.v3.json"
DC_SPEC = "jira-dc-10.3-software.openapi.v3.json"


@pytest.fixture(scope="module")
def portfolio() -> SamplePortfolio:
    return generate()


@pytest.fixture(scope="module")
def cloud(portfolio: SamplePortfolio) -> Iterator[requests.Session]:
    router = jira_cloud.build_router(portfolio.jira_cloud, email=EMAIL, token=TOKEN)
    with SandboxServer(router) as server, requests.Session() as session:
        session.auth = (EMAIL, TOKEN)
        session.base_url = server.url  # type: ignore[attr-defined]
        yield session


@pytest.fixture(scope="module")
def dc(portfolio: SamplePortfolio) -> Iterator[requests.Session]:
    router = jira_dc.build_router(portfolio.jira_dc, pat=TOKEN)
    with SandboxServer(router) as server, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        session.base_url = server.url  # type: ignore[attr-defined]
        yield session


def call(session: requests.Session, method: str, path: str, **kwargs: Any) -> Any:
    response = session.request(method, session.base_url + path, timeout=5, **kwargs)  # type: ignore[attr-defined]
    return response.status_code, response.json()


CLOUD_CASES = [
    ("GET", "/rest/api/3/serverInfo", {}, 200),
    ("GET", "/rest/api/3/field", {}, 200),
    ("GET", "/rest/api/3/search/jql", {"params": {"jql": "project = PORT"}}, 200),
    (
        "GET",
        "/rest/api/3/search/jql",
        {"params": {"jql": "project = PORT", "fields": "*all", "expand": "changelog,names"}},
        200,
    ),
    (
        "POST",
        "/rest/api/3/search/jql",
        {"json": {"jql": "project = PORT", "fields": ["key"], "maxResults": 10}},
        200,
    ),
    ("POST", "/rest/api/3/search/approximate-count", {"json": {"jql": "project = PORT"}}, 200),
    (
        "POST",
        "/rest/api/3/issue/bulkfetch",
        {"json": {"issueIdsOrKeys": ["PORT-1", "PORT-2", "PORT-99999"], "expand": ["changelog"]}},
        200,
    ),
    (
        "POST",
        "/rest/api/3/changelog/bulkfetch",
        {"json": {"issueIdsOrKeys": [f"PORT-{n}" for n in range(1, 30)], "maxResults": 20}},
        200,
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CLOUD_CASES)
def test_cloud_responses_match_the_spec(
    cloud: requests.Session, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    spec = spec_path(CLOUD_SPEC)
    got, body = call(cloud, method, path, **kwargs)

    assert got == status
    validate(body, response_schema(spec, path, method, status))


def test_cloud_issue_fields_match_their_component_schemas(
    cloud: requests.Session, portfolio: SamplePortfolio
) -> None:
    # IssueBean.fields is an open map in the spec; its well-known values have schemas of their own
    spec = spec_path(CLOUD_SPEC)
    themed = next(item for item in portfolio.jira_cloud if item.components and item.owner)
    _, body = call(
        cloud,
        "GET",
        "/rest/api/3/search/jql",
        params={"jql": f"key = {themed.key}", "fields": "*all"},
    )
    fields = body["issues"][0]["fields"]

    for name, schema in [
        ("status", "StatusDetails"),
        ("issuetype", "IssueTypeDetails"),
        ("assignee", "UserDetails"),
        ("project", "ProjectDetails"),
    ]:
        validate(fields[name], component_schema(spec, schema))
    for component in fields["components"]:
        validate(component, component_schema(spec, "ProjectComponent"))


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/rest/api/3/search", {"params": {"jql": "project = PORT"}}, 410),
        ("POST", "/rest/api/3/search/jql", {"json": {"jql": "project = PORT AND"}}, 400),
        ("POST", "/rest/api/3/issue/bulkfetch", {"json": {"issueIdsOrKeys": []}}, 400),
    ],
)
def test_cloud_errors_are_error_collections(
    cloud: requests.Session, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    got, body = call(cloud, method, path, **kwargs)

    assert got == status
    validate(body, component_schema(spec_path(CLOUD_SPEC), "ErrorCollection"))


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/rest/api/2/serverInfo", {}),
        ("GET", "/rest/api/2/field", {}),
        ("GET", "/rest/api/2/search", {"params": {"jql": "project = ENT", "expand": "changelog"}}),
        (
            "POST",
            "/rest/api/2/search",
            {"json": {"jql": "project = ENT", "fields": ["summary"], "expand": ["names"]}},
        ),
    ],
)
def test_data_center_responses_match_the_spec(
    dc: requests.Session, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    got, body = call(dc, method, path, **kwargs)

    assert got == 200
    spec_key = path.removeprefix("/rest")  # the DC spec's server URL ends in /rest
    validate(body, response_schema(spec_path(DC_SPEC), spec_key, method, 200))


def test_data_center_issue_values_match_their_component_schemas(dc: requests.Session) -> None:
    spec = spec_path(DC_SPEC)
    _, body = call(
        dc, "GET", "/rest/api/2/search", params={"jql": "project = ENT", "maxResults": 30}
    )
    issue = next(issue for issue in body["issues"] if issue["fields"]["assignee"])

    validate(issue["fields"]["status"], component_schema(spec, "StatusJsonBean"))
    validate(issue["fields"]["assignee"], component_schema(spec, "UserJsonBean"))


def test_the_helper_reads_swagger_2_files_with_a_bom() -> None:
    # the helper is shared with the Azure DevOps and connector tests: prove it on their format
    spec = spec_path("azure-devops-wit-7.1.workItemTracking.json")
    listed = response_schema(
        spec, "/{organization}/{project}/_apis/wit/workitemsbatch", "post", 200
    )
    schema = collection_wrapped(listed)  # the spec says array; the service wraps it

    validate({"count": 1, "value": [{"id": 1, "rev": 2, "fields": {"System.Title": "x"}}]}, schema)
    with pytest.raises(Exception, match="is not of type"):
        validate({"count": "one", "value": []}, schema)
    assert Path(spec).read_bytes().startswith(b"\xef\xbb\xbf")
