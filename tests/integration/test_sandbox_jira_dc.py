"""The Jira Data Center personality over real loopback HTTP: startAt paging, the silent maxResults
cap, Epic Link, expand=changelog, Bearer PAT auth and the real `jira` client."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import jira
import pytest
import requests

from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.jira import dc as jira_dc

PAT = "sandbox-token"
CAP = 100


@pytest.fixture
def portfolio() -> SamplePortfolio:
    return generate()


@pytest.fixture
def server(portfolio: SamplePortfolio) -> Iterator[SandboxServer]:
    router = jira_dc.build_router(portfolio.jira_dc, pat=PAT, max_results_cap=CAP)
    with SandboxServer(router) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {PAT}"
        yield session


def test_search_pages_with_start_at_and_reports_the_capped_max_results(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    keys: list[str] = []
    start_at = 0
    while True:
        page = http.get(
            f"{server.url}/rest/api/2/search",
            params={"jql": "project = ENT ORDER BY key", "startAt": start_at, "maxResults": 5000},
        ).json()
        assert page["maxResults"] == CAP  # asked for 5000, silently capped, reported back
        assert page["startAt"] == start_at and page["total"] == len(portfolio.jira_dc)
        keys += [issue["key"] for issue in page["issues"]]
        start_at += page["maxResults"]
        if start_at >= page["total"]:
            break

    assert keys == [f"ENT-{number}" for number in range(1, len(portfolio.jira_dc) + 1)]
    assert server.log.counts()["GET /rest/api/2/search"] == math.ceil(len(keys) / CAP)


def test_default_page_is_50_and_the_default_cap_is_1000(portfolio: SamplePortfolio) -> None:
    big = generate(size=1500).jira_dc
    with SandboxServer(jira_dc.build_router(big, pat=PAT)) as server:
        headers = {"Authorization": f"Bearer {PAT}"}
        url = f"{server.url}/rest/api/2/search"
        default = requests.get(url, params={"jql": "project = ENT"}, headers=headers, timeout=5)
        capped = requests.get(
            url, params={"jql": "project = ENT", "maxResults": 2000}, headers=headers, timeout=5
        )

    assert (default.json()["maxResults"], len(default.json()["issues"])) == (50, 50)
    assert (capped.json()["maxResults"], len(capped.json()["issues"])) == (1000, 1000)


def test_post_search_takes_a_search_request_bean(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    response = http.post(
        f"{server.url}/rest/api/2/search",
        json={
            "jql": "project = ENT AND issuetype = Epic ORDER BY key DESC",
            "startAt": 10,
            "maxResults": 5,
            "fields": ["summary", "status"],
            "expand": ["names"],
            "validateQuery": True,
        },
    )

    body = response.json()
    epics = sorted(
        (item for item in portfolio.jira_dc if item.kind == "Epic"),
        key=lambda item: int(item.key.split("-")[1]),
        reverse=True,
    )
    assert [issue["key"] for issue in body["issues"]] == [item.key for item in epics[10:15]]
    assert all(set(issue["fields"]) == {"summary", "status"} for issue in body["issues"])
    assert body["names"]["customfield_10014"] == "Epic Link"


def test_features_link_to_their_epic_through_epic_link(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    issues = search(http, server, "project = ENT AND issuetype = Feature ORDER BY key", size=100)

    parents = {item.key: item.parent_key for item in portfolio.jira_dc if item.kind == "Feature"}
    assert {issue["key"]: issue["fields"]["customfield_10014"] for issue in issues} == {
        key: parents[key] for key in (issue["key"] for issue in issues)
    }
    assert all("parent" not in issue["fields"] for issue in issues)
    orphans = ", ".join(portfolio.cases(portfolio.jira_dc)["orphan-feature"])
    for orphan in search(http, server, f"key in ({orphans})", size=10):
        assert orphan["fields"]["customfield_10014"] is None


def test_expand_changelog_embeds_every_history_oldest_first(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    (issue,) = search(http, server, "key = ENT-2", size=1, expand="changelog")

    histories = issue["changelog"]["histories"]
    item = portfolio.jira_dc.get("ENT-2")
    assert item is not None
    statuses = [
        change["toString"]
        for history in histories
        for change in history["items"]
        if change["field"] == "status"
    ]
    assert statuses == [transition.to_status for transition in item.history[1:]]
    created = [history["created"] for history in histories]
    assert created == sorted(created)
    assert issue["changelog"]["total"] == len(histories)


def test_user_fields_look_like_data_center_users(
    server: SandboxServer, http: requests.Session
) -> None:
    issues = search(http, server, "project = ENT ORDER BY key", size=20)

    assignee = next(issue["fields"]["assignee"] for issue in issues if issue["fields"]["assignee"])
    assert {"name", "key", "emailAddress", "displayName"} <= set(assignee)
    assert "accountId" not in assignee
    assert "hierarchyLevel" not in issues[0]["fields"]["issuetype"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2FuZGJveDpzYW5kYm94"}],
    ids=["none", "wrong-pat", "basic"],
)
def test_only_the_bearer_pat_gets_in(server: SandboxServer, headers: dict[str, str]) -> None:
    response = requests.get(
        f"{server.url}/rest/api/2/search",
        params={"jql": "project = ENT"},
        headers=headers,
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["errorMessages"]


def test_unsupported_jql_is_a_400(server: SandboxServer, http: requests.Session) -> None:
    response = http.get(f"{server.url}/rest/api/2/search", params={"jql": "project = ENT AND"})

    assert response.status_code == 400
    assert response.json()["errorMessages"]


def test_server_info_says_server_and_fields_include_epic_link(
    server: SandboxServer, http: requests.Session
) -> None:
    info = http.get(f"{server.url}/rest/api/2/serverInfo").json()
    fields = {
        field["name"]: field["id"] for field in http.get(f"{server.url}/rest/api/2/field").json()
    }

    assert info["deploymentType"] == "Server"
    assert fields["Epic Link"] == "customfield_10014"
    assert fields["Strategic Theme"] == "customfield_10100"


def test_the_jira_package_searches_it_with_a_token(
    server: SandboxServer, portfolio: SamplePortfolio
) -> None:
    client = jira.JIRA(server.url, token_auth=PAT, max_retries=0)

    found = client.search_issues(
        "project = ENT AND issuetype = Epic ORDER BY key", maxResults=False
    )
    features = client.search_issues(
        "project = ENT AND issuetype = Feature", maxResults=False, fields="summary,Epic Link"
    )

    epics = sorted(
        (item.key for item in portfolio.jira_dc if item.kind == "Epic"),
        key=lambda key: int(key.split("-")[1]),
    )
    assert not client._is_cloud
    assert [issue.key for issue in found] == epics
    assert len(features) == sum(item.kind == "Feature" for item in portfolio.jira_dc)
    assert server.log.counts()["GET /rest/api/2/field"] == 1


def search(
    http: requests.Session, server: SandboxServer, jql: str, *, size: int, expand: str = ""
) -> list[dict[str, Any]]:
    response = http.get(
        f"{server.url}/rest/api/2/search",
        params={"jql": jql, "maxResults": size, "expand": expand},
    )
    assert response.status_code == 200, response.text
    issues: list[dict[str, Any]] = response.json()["issues"]
    return issues
