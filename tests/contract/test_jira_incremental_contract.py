"""Jira Cloud incremental sync: overlap, removals, new keys, config changes, crash and resume."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.contract.jira_fake import FakeJira
from tests.contract.jira_helpers import (
    Memory,
    config,
    connector,
    crash_after,
    fake,
    resume_after,
    skipped_keys,
)
from tests.contract.jira_render import T0, FakeIssue, make_issues, run_jql

SEARCH = "POST /rest/api/3/search/jql"
ISSUES = "POST /rest/api/3/issue/bulkfetch"
CHANGELOGS = "POST /rest/api/3/changelog/bulkfetch"
NEWEST = T0 + timedelta(hours=10, days=3)  # `updated` of PORT-10, the newest of make_issues(10)


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    for found, _ in fake("cloud"):
        found.add(*make_issues(10))
        yield found


def jqls(jira: FakeJira) -> list[str]:
    return [body["jql"] for body in jira.bodies("/rest/api/3/search/jql")]


def test_nothing_changed_costs_exactly_two_requests(jira: FakeJira) -> None:
    source, memory = connector(config()), Memory()
    memory.sync(source)
    before, jira.log[:] = source.requests_made, []

    pages = memory.sync(source)

    assert source.requests_made - before == 2
    assert jira.counts() == {SEARCH: 2}
    scope, changed = jqls(jira)
    assert scope.endswith("ORDER BY key ASC")
    # the watermark is the newest `updated` seen, read again from 5 minutes earlier
    assert changed == (
        '(project = PORT AND issuetype in (Epic, Feature)) AND updated >= "2026-05-04 18:55" '
        "ORDER BY updated ASC"
    )
    assert run_jql(jira.issues.values(), changed), "the overlap re-reads the newest issue"
    assert [len(page.items) for page in pages] == [0]  # it is seen unchanged: not fetched
    assert pages[-1].scope == frozenset(memory.items)


def test_a_new_process_remembers_discovery_and_costs_two(jira: FakeJira) -> None:
    memory = Memory()
    memory.sync(connector(config()))
    jira.log.clear()
    fresh = connector(config())  # another process: only the stored cursor is shared

    memory.sync(fresh)

    assert fresh.requests_made == 2  # field ids came from the cursor; no serverInfo, no field
    assert jira.counts() == {SEARCH: 2}
    jira.log.clear()

    memory.sync(connector(config()), full=True)  # a full sync looks the fields up again

    assert jira.counts()["GET /rest/api/2/field"] == 1
    assert jira.counts()["GET /rest/api/2/serverInfo"] == 1


def test_a_changed_issue_is_fetched_with_its_history(jira: FakeJira) -> None:
    source, memory = connector(config()), Memory()
    memory.sync(source)
    moved_at = jira.now - timedelta(minutes=1)
    issue = jira.issues["PORT-3"]
    issue.status, issue.updated = "In Progress", moved_at
    issue.history.append((moved_at, "Analyzing", "In Progress"))
    jira.log.clear()

    memory.sync(source)

    assert jira.counts() == {SEARCH: 2, ISSUES: 1, CHANGELOGS: 1}
    assert jira.bodies("/rest/api/3/issue/bulkfetch")[0]["issueIdsOrKeys"] == ["10003"]
    assert memory.items["PORT-3"].state == "Implementing"
    assert memory.items["PORT-3"].entered_state_at == moved_at
    assert memory.cursor is not None
    assert memory.cursor["updated"] == moved_at.isoformat()


def test_deleted_issues_leave_and_issues_moved_into_scope_arrive(jira: FakeJira) -> None:
    source, memory = connector(config()), Memory()
    memory.sync(source)
    del jira.issues["PORT-4"]
    jira.add(FakeIssue("PORT-11", 10011, "Epic", summary="Moved here, not updated since"))
    jira.log.clear()

    pages = memory.sync(source)

    assert "PORT-4" not in memory.items
    assert "PORT-11" in memory.items
    assert jira.bodies("/rest/api/3/issue/bulkfetch")[0]["issueIdsOrKeys"] == ["10011"]
    assert pages[-1].scope is not None and "PORT-4" not in pages[-1].scope


def test_the_overlap_is_formatted_in_the_jira_users_time_zone(jira: FakeJira) -> None:
    source, memory = connector(config(jql_time_zone="Europe/Berlin")), Memory()
    memory.sync(source)
    jira.log.clear()

    memory.sync(source)

    assert 'updated >= "2026-05-04 20:55"' in jqls(jira)[1]  # 19:00 UTC is 21:00 CEST


def test_a_learned_offset_adds_a_daylight_saving_margin(jira: FakeJira) -> None:
    source, memory = connector(config(jql_time_zone=None)), Memory()
    memory.sync(source)
    assert memory.cursor is not None and memory.cursor["utc_offset"] == 0
    jira.log.clear()

    pages = memory.sync(source)

    assert 'updated >= "2026-05-04 17:55"' in jqls(jira)[1]  # 5 minutes + 1 hour
    assert sum(len(page.items) for page in pages) == 0  # the margin re-reads, never re-fetches


def test_full_flag_and_changed_mapping_read_everything_again(jira: FakeJira) -> None:
    memory = Memory()
    memory.sync(connector(config()))
    jira.log.clear()

    memory.sync(connector(config()), full=True)
    assert jira.counts()[ISSUES] == 1 and len(jqls(jira)) == 1

    jira.log.clear()
    remapped = config(statuses={"Analyzing": "Reviewing"})
    memory.sync(connector(remapped))
    assert jira.counts()[ISSUES] == 1 and len(jqls(jira)) == 1
    assert {item.state for item in memory.items.values()} == {"Reviewing"}


def test_an_incremental_sync_stores_its_cursor_only_at_the_end(jira: FakeJira) -> None:
    source, memory = connector(config()), Memory()
    memory.sync(source)
    for number in range(1, 11):
        jira.issues[f"PORT-{number}"].updated = jira.now - timedelta(minutes=number)
    jira.log.clear()

    pages = memory.sync(source)

    assert [page.cursor is None for page in pages] == [True, False]
    assert pages[-1].cursor is not None
    assert pages[-1].cursor["updated"] == (jira.now - timedelta(minutes=1)).isoformat()


def test_a_crashed_full_sync_resumes_after_the_last_committed_page(jira: FakeJira) -> None:
    jira.issues.clear()
    jira.add(*make_issues(350))
    memory = Memory()
    crash_after(memory, connector(config()), pages=2)  # two pages committed, then it died
    assert len(memory.items) == 200
    assert resume_after(memory.cursor) == "PORT-200"
    jira.now += timedelta(hours=1)
    touched = jira.issues["PORT-5"]
    touched.summary, touched.updated = "Renamed after the crash", jira.now
    jira.log.clear()

    memory.sync(connector(config()))

    fetched = [
        i for body in jira.bodies("/rest/api/3/issue/bulkfetch") for i in body["issueIdsOrKeys"]
    ]
    assert sorted(fetched) == ["10005", *[str(10000 + n) for n in range(201, 351)]]
    assert len(memory.items) == 350
    assert memory.items["PORT-5"].title == "Renamed after the crash"
    assert memory.cursor is not None and "resume" not in memory.cursor


def test_issues_jira_could_not_return_are_skipped_then_retried(jira: FakeJira) -> None:
    jira.issue_errors = {"PORT-6"}
    source, memory = connector(config()), Memory()

    pages = memory.sync(source)

    assert skipped_keys(pages) == ["PORT-6"]
    assert "Retry later" in pages[0].skipped[0].reason
    assert memory.cursor is not None and memory.cursor["retry"] == ["PORT-6"]
    jira.issue_errors = set()
    jira.log.clear()

    memory.sync(source)

    assert jira.bodies("/rest/api/3/issue/bulkfetch")[0]["issueIdsOrKeys"] == ["10006"]
    assert "PORT-6" in memory.items
    assert memory.cursor is not None and memory.cursor["retry"] == []
