"""Jira Data Center against a fake checked with the DC 10.3 spec: offset pages read in parallel
once `total` is known, the effective `maxResults` read back, Epic Link, Bearer PAT."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from lpmsync.domain.model import ItemRef
from lpmsync.errors import FatalConnectorError
from tests.contract.jira_fake import FakeJira
from tests.contract.jira_helpers import (
    TOKEN,
    FakeSleep,
    Memory,
    config,
    connector,
    crash_after,
    fake,
    resume_after,
)
from tests.contract.jira_render import FakeIssue, make_issues

SEARCH = "POST /rest/api/2/search"
DISCOVERY = {"GET /rest/api/2/serverInfo": 1, "GET /rest/api/2/field": 1}


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    for found, _ in fake("datacenter"):
        yield found


def searches(jira: FakeJira) -> list[dict[str, object]]:
    return list(jira.bodies("/rest/api/2/search"))


def test_full_scan_reads_the_real_page_size_then_pages_in_parallel(jira: FakeJira) -> None:
    jira.dc_cap = 100  # the admin capped maxResults; only the answer says so
    jira.add(*make_issues(250, project="ENT"))
    source, memory = connector(config("datacenter")), Memory()

    pages = memory.sync(source)

    bodies = searches(jira)
    asked = [(b["startAt"], b["maxResults"]) for b in bodies]
    assert asked[0] == (0, 1000)  # first alone; the rest at the size the server answered with
    assert sorted(asked[1:]) == [(100, 100), (200, 100)]
    assert all(b["expand"] == ["changelog"] for b in bodies)
    assert source.requests_made == 3 + len(DISCOVERY)
    assert {k: v for k, v in jira.counts().items() if k in DISCOVERY} == DISCOVERY
    assert [len(page.items) for page in pages] == [100, 100, 50, 0]
    assert pages[-1].scope == frozenset(memory.items) and len(memory.items) == 250
    assert all(entry.authorization == f"Bearer {TOKEN}" for entry in jira.log)


@pytest.mark.parametrize(("n", "requests"), [(1, 1), (1000, 1), (1001, 2), (2500, 3)])
def test_full_scan_costs_one_request_per_effective_page(
    jira: FakeJira, n: int, requests: int
) -> None:
    jira.validate_responses = n <= 1000
    jira.add(*make_issues(n, project="ENT"))
    source = connector(config("datacenter"))

    Memory().sync(source)

    assert jira.counts()[SEARCH] == requests
    assert source.requests_made == requests + len(DISCOVERY)


def test_epic_link_and_embedded_changelog_are_mapped(jira: FakeJira) -> None:
    jira.add(*make_issues(4, project="ENT"))
    memory = Memory()

    memory.sync(connector(config("datacenter")))

    feature = memory.items["ENT-2"]
    assert feature.parent == ItemRef("jira", "ENT-1")
    assert feature.entered_state_at == feature.updated
    assert len(memory.history) == 8
    asked = searches(jira)[0]["fields"]
    assert isinstance(asked, list) and "customfield_10014" in asked  # found by name


def test_nothing_changed_costs_a_listing_and_one_search(jira: FakeJira) -> None:
    jira.add(*make_issues(30, project="ENT"))
    source, memory = connector(config("datacenter")), Memory()
    memory.sync(source)
    jira.log.clear()

    pages = memory.sync(source)

    listing, changed = searches(jira)
    assert (listing["fields"], listing["maxResults"], "expand" not in listing) == (
        ["key"],
        5000,
        True,
    )
    assert changed["jql"] == (
        '(project = ENT AND issuetype in (Epic, Feature)) AND updated >= "2026-05-05 14:55" '
        "ORDER BY updated ASC"
    )
    assert changed["expand"] == ["changelog"]
    assert pages[-1].scope == frozenset(memory.items)


def test_incremental_fetches_changes_and_new_keys_and_drops_deleted(jira: FakeJira) -> None:
    jira.add(*make_issues(30, project="ENT"))
    source, memory = connector(config("datacenter")), Memory()
    memory.sync(source)
    jira.issues["ENT-7"].summary, jira.issues["ENT-7"].updated = "Renamed", jira.now
    del jira.issues["ENT-9"]
    jira.add(FakeIssue("ENT-31", 20031, "Epic", summary="Moved in, not updated"))
    jira.log.clear()

    memory.sync(source)

    _, _, by_key = searches(jira)
    assert by_key["jql"] == (
        '(project = ENT AND issuetype in (Epic, Feature)) AND key in ("ENT-31") ORDER BY key ASC'
    )
    assert memory.items["ENT-7"].title == "Renamed"
    assert "ENT-31" in memory.items and "ENT-9" not in memory.items


def test_a_scan_that_sees_fewer_issues_than_its_total_removes_nothing(jira: FakeJira) -> None:
    jira.dc_cap = 10
    jira.add(*make_issues(30, project="ENT"))

    def delete_one_while_scanning(fake_jira: FakeJira) -> None:
        if len(fake_jira.log) == 4 and "ENT-2" in fake_jira.issues:  # after the first page
            del fake_jira.issues["ENT-2"]

    jira.on_request = delete_one_while_scanning
    memory = Memory()

    pages = memory.sync(connector(config("datacenter", parallelism=1)))

    assert pages[-1].scope is None  # offsets shifted: a key may have been skipped
    assert memory.cursor is not None and memory.cursor["updated"] is None  # next sync is full


def test_a_refused_token_is_fatal_and_names_only_the_token_variable(jira: FakeJira) -> None:
    jira.fail(SEARCH, (401, {}))

    with pytest.raises(FatalConnectorError) as caught:
        Memory().sync(connector(config("datacenter"), FakeSleep()))

    assert "JIRA_TOKEN" in str(caught.value) and "JIRA_EMAIL" not in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_changed_search_window_includes_the_overlap(jira: FakeJira) -> None:
    jira.add(*make_issues(3, project="ENT"))
    source, memory = connector(config("datacenter", overlap_minutes=30)), Memory()
    memory.sync(source)
    jira.log.clear()

    memory.sync(source)

    newest = max(issue.updated for issue in jira.issues.values()) - timedelta(minutes=30)
    assert f'updated >= "{newest:%Y-%m-%d %H:%M}"' in str(searches(jira)[1]["jql"])


def test_a_crashed_scan_resumes_by_key_and_changes_never_move_the_marker(jira: FakeJira) -> None:
    jira.dc_cap = 10
    jira.add(*make_issues(30, project="ENT"))
    memory = Memory()
    crash_after(memory, connector(config("datacenter", parallelism=1)), pages=1)
    assert resume_after(memory.cursor) == "ENT-10"
    jira.now += timedelta(hours=1)
    for key in ("ENT-3", "ENT-25"):
        jira.issues[key].summary, jira.issues[key].updated = f"{key} renamed", jira.now
    jira.log.clear()

    crash_after(memory, connector(config("datacenter")), pages=1)  # only the changed issues
    assert resume_after(memory.cursor) == "ENT-10"  # ENT-25 came from the changed search
    memory.sync(connector(config("datacenter")))

    assert len(memory.items) == 30 and memory.items["ENT-3"].title == "ENT-3 renamed"
    assert memory.cursor is not None and "resume" not in memory.cursor
