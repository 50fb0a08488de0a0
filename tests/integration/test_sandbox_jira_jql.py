"""The sandbox's JQL subset: what lpmsync and the `jira` client send parses and filters like
Jira; everything else is refused with JqlError (a 400 over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lpmsync.sandbox.dataset import SampleItem
from lpmsync.sandbox.generator import generate
from lpmsync.sandbox.jira.jql import JqlError, parse

DATASET = generate().jira_cloud
ITEMS = DATASET.ordered()


def run(jql: str) -> list[SampleItem]:
    return parse(jql).run(ITEMS, DATASET.project)


def keys(jql: str) -> list[str]:
    return [item.key for item in run(jql)]


def test_project_and_issuetype_filter() -> None:
    epics = [item.key for item in ITEMS if item.kind == "Epic"]

    assert keys("project = PORT AND issuetype = Epic") == epics
    assert keys('project in (PORT, OTHER) AND type in ("Epic")') == epics
    assert len(run("project = PORT AND issuetype in (Epic, Feature)")) == len(ITEMS)
    assert keys("project = OTHER") == []
    assert keys("project = port and ISSUETYPE = epic") == epics  # case-insensitive


def test_updated_at_minute_precision_in_utc() -> None:
    since = datetime(2026, 11, 10, 12, 30, tzinfo=UTC)
    expected = [item.key for item in ITEMS if item.updated >= since]

    assert keys('project = PORT AND updated >= "2026-11-10 12:30"') == expected
    assert keys('project = PORT AND updated >= "2026/11/10 12:30"') == expected
    assert keys("project = PORT AND updated >= 2026-11-10") == [
        item.key for item in ITEMS if item.updated >= datetime(2026, 11, 10, tzinfo=UTC)
    ]
    assert keys('updated < "2026-11-10 12:30"') == [i.key for i in ITEMS if i.updated < since]


def test_key_in_accepts_keys_and_ids() -> None:
    third = ITEMS[2]

    assert keys(f"key in (PORT-1, {third.id}, PORT-99999)") == ["PORT-1", third.key]
    assert keys("key = PORT-2") == ["PORT-2"]
    assert keys("project = PORT AND key not in (PORT-1)") == [i.key for i in ITEMS[1:]]


def test_order_by_key_sorts_numerically_and_combines_fields() -> None:
    ordered = keys("project = PORT ORDER BY key ASC")
    descending = keys("project = PORT ORDER BY key DESC")
    by_updated = run("project = PORT ORDER BY updated ASC, key DESC")

    assert ordered[:11] == [f"PORT-{number}" for number in range(1, 12)]  # PORT-2 before PORT-10
    assert descending == ordered[::-1]
    assert [item.updated for item in by_updated] == sorted(item.updated for item in ITEMS)


def test_or_not_parentheses_parent_labels_status() -> None:
    epic = next(item for item in ITEMS if item.kind == "Epic" and item.status == "Done")
    children = [item.key for item in ITEMS if item.parent_key == epic.key]

    assert keys(f"parent = {epic.key}") == children
    assert keys("labels = legacy") == [i.key for i in ITEMS if "legacy" in i.labels]
    assert keys('status = "In Progress"') == [i.key for i in ITEMS if i.status == "In Progress"]
    assert keys("project = PORT AND NOT (issuetype = Epic OR status = Done)") == [
        i.key for i in ITEMS if i.kind != "Epic" and i.status != "Done"
    ]


def test_queries_without_a_restriction_are_unbounded() -> None:
    assert not parse("").bounded
    assert not parse("ORDER BY key DESC").bounded
    assert parse("project = PORT ORDER BY key DESC").bounded


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("summary ~ checkout", "does not exist"),
        ("assignee = currentUser()", "does not exist"),
        ("project = currentProject()", "function"),
        ("project = PORT AND", "ends too early"),
        ('updated >= "-1d"', "Date value"),
        ("project = PORT ORDER BY priority", "cannot order"),
        ("issuetype > Epic", "not supported"),
        ("project = PORT)", "unexpected"),
        ('project = "PORT', "cannot read"),
    ],
)
def test_everything_else_is_an_error_that_says_why(jql: str, message: str) -> None:
    with pytest.raises(JqlError, match=message):
        parse(jql)
