"""The Jira Cloud personality over real loopback HTTP: paging, JQL, bulk fetches, auth, faults."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jira
import pytest
import requests

from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.jira import cloud as jira_cloud
from lpmsync.sandbox.jira.common import jira_time
from lpmsync.sandbox.knobs import Knobs

EMAIL, TOKEN = "portfolio-bot@acme.example", "sandbox-token"
JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture
def portfolio() -> SamplePortfolio:
    return generate()


@pytest.fixture
def knobs() -> Knobs:
    return Knobs()


@pytest.fixture
def server(portfolio: SamplePortfolio, knobs: Knobs) -> Iterator[SandboxServer]:
    router = jira_cloud.build_router(portfolio.jira_cloud, email=EMAIL, token=TOKEN)
    with SandboxServer(router, knobs=knobs) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (EMAIL, TOKEN)
        yield session


def search_all(http: requests.Session, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow nextPageToken until isLast, as a client must (page sizes prove nothing)."""
    issues: list[dict[str, Any]] = []
    token = None
    while True:
        page = http.post(f"{url}/rest/api/3/search/jql", json={**body, "nextPageToken": token})
        assert page.status_code == 200, page.text
        data = page.json()
        assert "total" not in data and "startAt" not in data
        issues += data["issues"]
        if data["isLast"]:
            assert "nextPageToken" not in data
            return issues
        token = data["nextPageToken"]


def test_search_pages_ids_with_next_page_token_until_is_last(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    issues = search_all(http, server.url, {"jql": "project = PORT ORDER BY id", "maxResults": 100})

    expected = [str(item.id) for item in portfolio.jira_cloud]
    assert issues == [{"id": issue_id} for issue_id in expected]  # ids only without `fields`
    assert server.log.counts()["POST /rest/api/3/search/jql"] == math.ceil(len(expected) / 100)


def test_page_size_is_5000_for_ids_and_100_with_fields(http: requests.Session) -> None:
    big = generate(size=6000).jira_cloud
    router = jira_cloud.build_router(big, email=EMAIL, token=TOKEN)
    with SandboxServer(router) as server:
        url = f"{server.url}/rest/api/3/search/jql"
        keys = http.post(url, json={"jql": "project = PORT", "maxResults": 9999, "fields": ["key"]})
        rich = http.post(
            url, json={"jql": "project = PORT", "maxResults": 9999, "fields": ["summary"]}
        )

    assert len(keys.json()["issues"]) == 5000 and keys.json()["isLast"] is False
    assert set(keys.json()["issues"][0]) == {"expand", "id", "self", "key", "fields"}
    assert len(rich.json()["issues"]) == 100
    assert set(rich.json()["issues"][0]["fields"]) == {"summary"}


def test_issue_json_carries_what_lpmsync_maps(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    feature = next(item for item in portfolio.jira_cloud if item.parent_key and item.owner)
    response = http.get(
        f"{server.url}/rest/api/2/search/jql",
        params={"jql": f"key = {feature.key}", "fields": "*all"},
    )

    (issue,) = response.json()["issues"]
    fields = issue["fields"]
    assert issue["key"] == feature.key and issue["id"] == str(feature.id)
    assert fields["summary"] == feature.title
    assert fields["status"]["name"] == feature.status
    assert fields["status"]["statusCategory"]["key"] in {"new", "indeterminate", "done"}
    assert fields["issuetype"] == {**fields["issuetype"], "name": "Feature", "hierarchyLevel": 0}
    assert fields["parent"]["key"] == feature.parent_key
    assert fields["labels"] == list(feature.labels)
    assert [component["name"] for component in fields["components"]] == [feature.value_stream]
    assert fields["assignee"]["emailAddress"] == feature.owner
    assert JIRA_TIME.match(fields["created"]) and JIRA_TIME.match(fields["updated"])
    assert fields["customfield_10016"] == feature.estimate
    assert fields["customfield_10204"] == feature.job_size


def test_epics_carry_the_theme_option_field(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    themed = [item for item in portfolio.jira_cloud if item.theme and item.kind == "Epic"]
    keys = ", ".join(item.key for item in themed)
    response = http.post(
        f"{server.url}/rest/api/3/search/jql",
        json={"jql": f"key in ({keys})", "fields": ["customfield_10100"], "maxResults": 100},
    )

    values = {
        issue["key"]: issue["fields"]["customfield_10100"]["value"]
        for issue in response.json()["issues"]
    }
    assert values == {item.key: item.theme for item in themed}


def test_get_and_post_and_both_api_versions_agree(
    server: SandboxServer, http: requests.Session
) -> None:
    query = {"jql": "project = PORT AND issuetype = Epic ORDER BY key DESC", "maxResults": 20}
    answers = [
        http.get(f"{server.url}/rest/api/{api}/search/jql", params={**query, "fields": "key"})
        for api in ("2", "3")
    ] + [
        http.post(f"{server.url}/rest/api/{api}/search/jql", json={**query, "fields": ["key"]})
        for api in ("2", "3")
    ]

    keys = [[issue["key"] for issue in answer.json()["issues"]] for answer in answers]
    assert keys[0] == keys[1] == keys[2] == keys[3]
    assert len(keys[0]) == 20


def test_incremental_query_sees_an_item_changed_between_syncs(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    dataset = portfolio.jira_cloud
    ready = next(item.key for item in dataset if item.status == "Ready")
    since = portfolio.now + timedelta(hours=1)
    dataset.change(ready, since + timedelta(seconds=30), status="Done")
    jql = f'project = PORT AND updated >= "{since:%Y-%m-%d %H:%M}" ORDER BY updated ASC'

    issues = search_all(http, server.url, {"jql": jql, "fields": ["status", "updated"]})
    changelog = http.post(
        f"{server.url}/rest/api/3/changelog/bulkfetch",
        json={"issueIdsOrKeys": [ready], "fieldIds": ["status"]},
    ).json()

    assert [(issue["key"], issue["fields"]["status"]["name"]) for issue in issues] == [
        (ready, "Done")
    ]
    last = changelog["issueChangeLogs"][0]["changeHistories"][-1]
    assert last["items"][0]["toString"] == "Done"
    assert last["created"] == jira_time(since + timedelta(seconds=30))


def test_old_search_answers_410_like_jira_cloud(
    server: SandboxServer, http: requests.Session
) -> None:
    for api in ("2", "3"):
        for send in (http.get, http.post):
            response = send(f"{server.url}/rest/api/{api}/search", params={"jql": "project = PORT"})
            assert response.status_code == 410
            assert response.json() == {
                "errorMessages": [
                    "The requested API has been removed. Please migrate to the "
                    "/rest/api/3/search/jql API. A full migration guideline is available at "
                    "https://developer.atlassian.com/changelog/#CHANGE-2046"
                ],
                "errors": {},
            }


@pytest.mark.parametrize(
    "jql",
    [
        "",
        "ORDER BY key DESC",
        'summary ~ "checkout"',
        "project = PORT AND",
        "assignee = currentUser()",
    ],
)
def test_unbounded_or_unsupported_jql_is_a_400(
    server: SandboxServer, http: requests.Session, jql: str
) -> None:
    response = http.post(f"{server.url}/rest/api/3/search/jql", json={"jql": jql})

    assert response.status_code == 400
    assert response.json()["errorMessages"]


def test_a_foreign_page_token_is_a_400(server: SandboxServer, http: requests.Session) -> None:
    first = http.post(
        f"{server.url}/rest/api/3/search/jql", json={"jql": "project = PORT", "maxResults": 5}
    )
    other = http.post(
        f"{server.url}/rest/api/3/search/jql",
        json={"jql": "issuetype = Epic", "nextPageToken": first.json()["nextPageToken"]},
    )

    assert other.status_code == 400


@pytest.mark.parametrize(
    "auth",
    [None, (EMAIL, "wrong-token"), ("someone@else.example", TOKEN)],
    ids=["none", "token", "email"],
)
def test_basic_auth_is_checked(server: SandboxServer, auth: tuple[str, str] | None) -> None:
    response = requests.post(
        f"{server.url}/rest/api/3/search/jql", json={"jql": "project = PORT"}, auth=auth, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["errorMessages"]


def test_bulkfetch_returns_issues_by_id_with_errors_for_unknown_keys(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    wanted = ["PORT-9", "PORT-3", str(portfolio.jira_cloud.get("PORT-5").id), "PORT-99999"]  # type: ignore[union-attr]
    response = http.post(
        f"{server.url}/rest/api/3/issue/bulkfetch",
        json={"issueIdsOrKeys": wanted, "fields": ["summary", "status"]},
    )

    body = response.json()
    assert [issue["key"] for issue in body["issues"]] == ["PORT-3", "PORT-5", "PORT-9"]
    assert all(set(issue["fields"]) <= {"summary", "status"} for issue in body["issues"])
    assert [error["id"] for error in body["issueErrors"]] == ["PORT-99999"]


def test_bulkfetch_takes_at_most_100(server: SandboxServer, http: requests.Session) -> None:
    keys = [f"PORT-{number}" for number in range(1, 102)]
    too_many = http.post(f"{server.url}/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": keys})
    none = http.post(f"{server.url}/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": []})

    assert too_many.status_code == 400 and none.status_code == 400


def test_malformed_items_are_served_with_a_broken_shape(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    malformed = [item.key for item in portfolio.jira_cloud if item.malformed]
    response = http.post(
        f"{server.url}/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": malformed}
    )

    issues = response.json()["issues"]
    assert len(issues) == len(malformed) >= 3
    assert all(
        "status" not in issue["fields"] or "issuetype" not in issue["fields"] for issue in issues
    )


def test_changelog_bulkfetch_pages_oldest_first_then_by_issue(
    server: SandboxServer, http: requests.Session
) -> None:
    keys = [f"PORT-{number}" for number in range(1, 41)]
    url = f"{server.url}/rest/api/3/changelog/bulkfetch"
    whole = http.post(url, json={"issueIdsOrKeys": keys}).json()
    pages: list[list[tuple[str, int, str]]] = []
    token = None
    while True:
        body = {"issueIdsOrKeys": keys, "maxResults": 25, "nextPageToken": token}
        page = http.post(url, json=body).json()
        pages.append(histories(page))
        token = page.get("nextPageToken")
        if token is None:
            break

    everything = histories(whole)
    assert "nextPageToken" not in whole
    assert sorted(entry for page in pages for entry in page) == sorted(everything)
    assert [len(page) for page in pages[:-1]] == [25] * (len(pages) - 1)
    assert len(pages) == math.ceil(len(everything) / 25)
    for earlier, later in itertools.pairwise(pages):  # each page is older than the next
        assert max(entry[:2] for entry in earlier) <= min(entry[:2] for entry in later)


def histories(body: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(created, issue id, changelog id) of every history in a changelog bulkfetch answer."""
    return [
        (history["created"], int(log["issueId"]), history["id"])
        for log in body["issueChangeLogs"]
        for history in log["changeHistories"]
    ]


def test_changelog_bulkfetch_filters_by_field_id(
    server: SandboxServer, http: requests.Session
) -> None:
    url = f"{server.url}/rest/api/3/changelog/bulkfetch"
    everything = http.post(url, json={"issueIdsOrKeys": ["PORT-2"]}).json()
    status_only = http.post(url, json={"issueIdsOrKeys": ["PORT-2"], "fieldIds": ["status"]}).json()

    def fields(body: dict[str, Any]) -> set[str]:
        logs = body["issueChangeLogs"]
        return {
            item["fieldId"] for log in logs for h in log["changeHistories"] for item in h["items"]
        }

    assert fields(everything) == {"status", "customfield_10019"}
    assert fields(status_only) == {"status"}


def test_changelogs_kept_rendered_follow_a_change_of_the_issue(
    server: SandboxServer, portfolio: SamplePortfolio, http: requests.Session
) -> None:
    url = f"{server.url}/rest/api/3/changelog/bulkfetch"
    body = {"issueIdsOrKeys": ["PORT-2"], "fieldIds": ["status"]}
    before = http.post(url, json=body).json()
    again = http.post(url, json=body).json()
    moved = portfolio.jira_cloud.change(
        "PORT-2",
        portfolio.jira_cloud.items["PORT-2"].updated + timedelta(days=1),
        status="Cancelled",
    )
    after = http.post(url, json=body).json()

    assert again == before
    [log] = after["issueChangeLogs"]
    assert len(log["changeHistories"]) == len(before["issueChangeLogs"][0]["changeHistories"]) + 1
    assert log["changeHistories"][-1]["created"] == jira_time(moved.updated)
    assert log["changeHistories"][-1]["items"][0]["toString"] == "Cancelled"


def test_changelog_bulkfetch_takes_at_most_1000_issues(
    server: SandboxServer, http: requests.Session
) -> None:
    keys = [f"PORT-{number}" for number in range(1, 1002)]
    response = http.post(
        f"{server.url}/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": keys}
    )

    assert response.status_code == 400


def test_search_can_embed_recent_changelogs_newest_first(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    response = http.get(
        f"{server.url}/rest/api/3/search/jql",
        params={"jql": "key = PORT-2", "fields": "status", "expand": "changelog"},
    )

    histories = response.json()["issues"][0]["changelog"]["histories"]
    created = [history["created"] for history in histories]
    assert created == sorted(created, reverse=True)
    statuses = [i["toString"] for h in histories for i in h["items"] if i["fieldId"] == "status"]
    assert statuses[0] == portfolio.jira_cloud.get("PORT-2").status  # type: ignore[union-attr]


def test_approximate_count(
    server: SandboxServer, http: requests.Session, portfolio: SamplePortfolio
) -> None:
    response = http.post(
        f"{server.url}/rest/api/3/search/approximate-count",
        json={"jql": "project = PORT AND issuetype = Epic"},
    )

    assert response.json() == {"count": sum(item.kind == "Epic" for item in portfolio.jira_cloud)}


def test_server_info_says_cloud_and_fields_list_the_custom_fields(
    server: SandboxServer, http: requests.Session
) -> None:
    info = http.get(f"{server.url}/rest/api/2/serverInfo").json()
    fields = {
        field["name"]: field["id"] for field in http.get(f"{server.url}/rest/api/3/field").json()
    }

    assert info["deploymentType"] == "Cloud"
    assert {name: fields[name] for name in ("Strategic Theme", "Story Points", "Job Size")} == {
        "Strategic Theme": "customfield_10100",
        "Story Points": "customfield_10016",
        "Job Size": "customfield_10204",
    }
    assert "Epic Link" not in fields


def test_fail_next_injects_a_429_with_retry_after_then_recovers(
    server: SandboxServer, http: requests.Session, knobs: Knobs
) -> None:
    knobs.retry_after_seconds = 7
    knobs.fail_next.extend([429, 503])
    url = f"{server.url}/rest/api/3/search/jql"

    limited = http.post(url, json={"jql": "project = PORT"})
    unavailable = http.post(url, json={"jql": "project = PORT"})
    ok = http.post(url, json={"jql": "project = PORT"})

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert unavailable.status_code == 503
    assert ok.status_code == 200
    assert [entry.status for entry in server.log.entries] == [429, 503, 200]
    assert server.log.counts() == {"POST /rest/api/3/search/jql": 3}


def test_request_log_counts_each_endpoint(server: SandboxServer, http: requests.Session) -> None:
    http.get(f"{server.url}/rest/api/2/serverInfo")
    http.get(f"{server.url}/rest/api/2/field")
    for _ in range(3):
        http.post(f"{server.url}/rest/api/3/search/jql", json={"jql": "project = PORT"})
    http.post(f"{server.url}/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": ["PORT-1"]})

    assert server.log.counts() == {
        "GET /rest/api/2/serverInfo": 1,
        "GET /rest/api/2/field": 1,
        "POST /rest/api/3/search/jql": 3,
        "POST /rest/api/3/issue/bulkfetch": 1,
    }
    assert server.log.total() == 6


def test_the_jira_package_searches_it_through_enhanced_search(
    server: SandboxServer, portfolio: SamplePortfolio
) -> None:
    client = jira.JIRA(server.url, basic_auth=(EMAIL, TOKEN), max_retries=0)
    epics = sorted(
        (item for item in portfolio.jira_cloud if item.kind == "Epic"),
        key=lambda item: int(item.key.split("-")[1]),
    )

    found = client.enhanced_search_issues(
        "project = PORT AND issuetype = Epic ORDER BY key ASC", maxResults=False
    )
    posted = client.search_issues(
        "project = PORT AND issuetype in (Epic, Feature) ORDER BY key",
        maxResults=0,
        fields="summary,status",
        use_post=True,
    )

    assert client._is_cloud
    assert [issue.key for issue in found] == [item.key for item in epics]
    assert found[0].fields.summary == epics[0].title
    assert len(posted) == len(portfolio.jira_cloud)
    counts = server.log.counts()
    assert counts["GET /rest/api/2/search/jql"] == 1  # 46 epics: one page of 100
    assert counts["POST /rest/api/2/search/jql"] == math.ceil(len(portfolio.jira_cloud) / 100)
