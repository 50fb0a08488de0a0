"""Jira Cloud full sync against a spec-checked fake: requests at the floor, bodies per the v3 spec.

Every request in these tests is validated by the fake against the Cloud platform v3 OpenAPI
document (path, method, query names, body schema), and every answer against its response schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from math import ceil

import pytest

from lpmsync.domain.model import UNMAPPED, ItemRef, Level
from lpmsync.errors import FatalConnectorError
from tests.contract import jira_render as render
from tests.contract.jira_fake import FakeJira
from tests.contract.jira_helpers import Memory, config, connector, fake
from tests.contract.jira_render import EPIC_LINK, POINTS, THEME, FakeIssue, make_issues

SEARCH = "POST /rest/api/3/search/jql"
ISSUES = "POST /rest/api/3/issue/bulkfetch"
CHANGELOGS = "POST /rest/api/3/changelog/bulkfetch"
DISCOVERY = {"GET /rest/api/2/serverInfo": 1, "GET /rest/api/2/field": 1}


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    for found, _ in fake("cloud"):
        yield found


def floor(n: int) -> int:
    return ceil(n / 5000) + ceil(n / 100) + ceil(n / 1000)


@pytest.mark.parametrize("n", [1, 100, 101, 1000, 1001, 5001])
def test_full_sync_costs_exactly_the_floor(jira: FakeJira, n: int) -> None:
    jira.validate_responses = n <= 101  # shapes are checked on small runs; counts on all
    jira.add(*make_issues(n))
    source = connector(config())
    memory = Memory()

    pages = memory.sync(source)

    counts = jira.counts()
    assert {k: v for k, v in counts.items() if k in DISCOVERY} == DISCOVERY
    assert counts[SEARCH] == ceil(n / 5000)
    assert counts[ISSUES] == ceil(n / 100)
    assert counts[CHANGELOGS] == ceil(n / 1000)
    assert source.requests_made == floor(n) + len(DISCOVERY)
    assert sum(page.requests for page in pages) == source.requests_made
    assert len(memory.items) == n
    assert pages[-1].scope == frozenset(f"PORT-{i}" for i in range(1, n + 1))
    assert all(page.scope is None for page in pages[:-1])


def test_multi_page_key_listing_follows_next_page_token(jira: FakeJira) -> None:
    jira.list_cap = 40  # the server answers fewer than asked: never infer the end from size
    jira.add(*make_issues(130))
    memory = Memory()

    memory.sync(connector(config()))

    listings = [body for body in jira.bodies("/rest/api/3/search/jql")]
    assert len(listings) == 4
    assert "nextPageToken" not in listings[0]
    assert [body["nextPageToken"] for body in listings[1:]] == ["40", "80", "120"]
    assert all(body["fields"] == ["key"] and body["maxResults"] == 5000 for body in listings)
    assert listings[0]["jql"] == (
        "(project = PORT AND issuetype in (Epic, Feature)) ORDER BY key ASC"
    )
    assert len(memory.items) == 130


def test_server_info_and_the_field_list_are_asked_for_at_once(jira: FakeJira) -> None:
    jira.add(*make_issues(3))
    overlapped: list[bool] = []

    def hold_server_info(fake: FakeJira) -> None:
        if fake.log[-1].endpoint == "GET /rest/api/2/serverInfo":  # answered only once the
            deadline = time.monotonic() + 5  # field list has been asked for too
            while "GET /rest/api/2/field" not in fake.counts() and time.monotonic() < deadline:
                time.sleep(0.005)
            overlapped.append("GET /rest/api/2/field" in fake.counts())

    jira.on_request = hold_server_info
    Memory().sync(connector(config()))

    assert overlapped == [True]


def test_a_full_sync_fetches_while_the_listing_goes_on(jira: FakeJira) -> None:
    jira.list_cap, jira.validate_responses = 1000, False  # shapes are checked on small runs
    jira.add(*make_issues(2500))
    memory = Memory()

    memory.sync(connector(config(parallelism=2)))

    endpoints = [entry.endpoint for entry in jira.log]
    searches = [i for i, endpoint in enumerate(endpoints) if endpoint == SEARCH]
    assert len(searches) == 3
    assert endpoints.index(CHANGELOGS) < searches[1]  # page 1's issues did not wait for page 2
    assert endpoints.index(ISSUES) < searches[1]
    assert len(memory.items) == 2500
    assert memory.pages[-1].scope == frozenset(f"PORT-{i}" for i in range(1, 2501))


def test_small_listing_pages_cost_no_extra_bulk_calls(jira: FakeJira) -> None:
    jira.list_cap = 40  # changelog calls still take 1000 issues, bulkfetch calls 100
    jira.validate_responses = False
    jira.add(*make_issues(1130))
    memory = Memory()

    memory.sync(connector(config()))

    counts = jira.counts()
    assert (counts[SEARCH], counts[CHANGELOGS], counts[ISSUES]) == (29, 2, 12)
    assert len(memory.items) == 1130


def test_a_listing_that_fails_part_way_removes_nothing(jira: FakeJira) -> None:
    jira.list_cap, jira.validate_responses = 1000, False  # shapes are checked on small runs
    jira.add(*make_issues(2500))
    memory = Memory()
    memory.sync(connector(config()))
    del jira.issues["PORT-2500"]  # left the scope: only a finished listing may remove it
    done = len(memory.pages)

    def fail_the_last_listing_page(fake: FakeJira) -> None:
        if fake.counts()[SEARCH] == 6:  # the first sync listed 3 pages; this is the third again
            fake.fail(SEARCH, (400, {}))

    jira.on_request = fail_the_last_listing_page
    with pytest.raises(FatalConnectorError):
        memory.sync(connector(config()), full=True)

    assert len(memory.pages) > done  # the first pages' issues were fetched meanwhile
    assert all(page.scope is None for page in memory.pages[done:])
    assert "PORT-2500" in memory.items


def test_bulk_batches_ask_only_for_the_fields_lpmsync_reads(jira: FakeJira) -> None:
    jira.add(*make_issues(250))

    Memory().sync(connector(config()))

    issue_calls = jira.bodies("/rest/api/3/issue/bulkfetch")
    assert sorted(len(body["issueIdsOrKeys"]) for body in issue_calls) == [50, 100, 100]
    expected = {
        "summary",
        "status",
        "issuetype",
        "parent",
        "labels",
        "components",
        "assignee",
        "created",
        "updated",
        "duedate",  # fields.due_date: the target date for forecast-risk
        THEME,
        POINTS,
    }
    assert all(set(body["fields"]) == expected for body in issue_calls)
    (changelog_call,) = jira.bodies("/rest/api/3/changelog/bulkfetch")
    assert len(changelog_call["issueIdsOrKeys"]) == 250
    assert changelog_call["fieldIds"] == ["status"]
    assert changelog_call["maxResults"] == 10000
    in_key_order = changelog_call["issueIdsOrKeys"]  # ids, in key order
    batches = sorted(body["issueIdsOrKeys"] for body in issue_calls)  # calls overlap in time
    assert batches == [in_key_order[i : i + 100] for i in range(0, 250, 100)]


def test_changelog_pages_are_followed_and_merged_per_issue(jira: FakeJira) -> None:
    jira.changelog_cap = 7  # 30 histories -> 5 pages
    jira.add(*make_issues(15))
    memory = Memory()

    memory.sync(connector(config()))

    assert jira.counts()[CHANGELOGS] == 5
    tokens = [body.get("nextPageToken") for body in jira.bodies("/rest/api/3/changelog/bulkfetch")]
    assert tokens == [None, "7", "14", "21", "28"]
    assert len(memory.history) == 30
    feature = memory.items["PORT-2"]
    assert feature.entered_state_at == feature.updated  # moved into Analyzing at `updated`
    changes = sorted((c for c in memory.history if c.key == "PORT-2"), key=lambda c: c.at)
    assert [c.to_status for c in changes] == [
        "Reviewing",
        "Analyzing",
    ]


def test_items_are_mapped_from_the_configured_fields(jira: FakeJira) -> None:
    epic = FakeIssue(
        "PORT-1", 10001, "Epic", "In Progress", "Checkout revamp", theme="Growth", points=8.0
    )
    epic.history = [(epic.created + timedelta(days=2), "Ready", "In Progress")]
    epic.assignee = "ana@acme.test"
    feature = FakeIssue("PORT-2", 10002, "Feature", "Parked", "One-click pay", parent="PORT-1")
    jira.add(epic, feature)
    memory = Memory()

    memory.sync(connector(config()))

    mapped = memory.items["PORT-1"]
    assert (mapped.level, mapped.state, mapped.status) == (
        Level.EPIC,
        "Implementing",
        "In Progress",
    )
    assert mapped.theme_values == ("Growth",)
    assert mapped.estimate == 8.0
    assert mapped.owner == "ana@acme.test"
    assert mapped.url == "https://acme.atlassian.net/browse/PORT-1"
    assert mapped.entered_state_at == epic.created + timedelta(days=2)
    child = memory.items["PORT-2"]
    assert child.parent == ItemRef("jira", "PORT-1")
    assert child.state == UNMAPPED  # "Parked" is in no mapping: kept, flagged
    assert child.entered_state_at == child.created  # no history: since creation


def test_other_issue_types_are_left_out_and_counted_as_skipped(jira: FakeJira) -> None:
    jira.add(*make_issues(3), FakeIssue("PORT-4", 10004, "Story", summary="A story"))
    memory = Memory()

    pages = memory.sync(connector(config()))

    assert sorted(memory.items) == ["PORT-1", "PORT-2", "PORT-3"]
    assert [(s.key, s.reason) for page in pages for s in page.skipped] == [
        ("PORT-4", "issue type 'Story' is not mapped in issue_types")
    ]
    assert memory.cursor is not None and memory.cursor["ignored"] == ["PORT-4"]


def test_field_ids_in_config_need_no_field_lookup(jira: FakeJira) -> None:
    jira.add(*make_issues(5))
    source = config(fields={"theme": THEME, "estimate": POINTS, "epic_link": EPIC_LINK})

    Memory().sync(connector(source))

    assert "GET /rest/api/2/field" not in jira.counts()


def test_the_removed_search_endpoint_is_never_called(jira: FakeJira) -> None:
    jira.add(*make_issues(20))
    memory = Memory()
    source = connector(config())

    memory.sync(source)
    memory.sync(source)
    memory.sync(source, full=True)

    paths = {entry.path for entry in jira.log}
    assert not paths & {"/rest/api/3/search", "/rest/api/2/search"}


def test_items_link_to_the_sites_own_base_url(
    jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = "https://acme-portfolio.atlassian.net"  # e.g. the config points at the API gateway
    monkeypatch.setattr(render, "server_info", lambda base, kind: {"baseUrl": site})
    jira.add(*make_issues(2))
    memory = Memory()

    memory.sync(connector(config()))
    jira.issues["PORT-2"].updated = jira.now
    memory.sync(connector(config()))  # a new process: the base URL comes from the cursor

    assert {item.url for item in memory.items.values()} == {
        f"{site}/browse/PORT-1",
        f"{site}/browse/PORT-2",
    }
    assert jira.counts()["GET /rest/api/2/serverInfo"] == 1
