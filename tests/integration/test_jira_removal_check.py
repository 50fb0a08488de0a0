"""Jira Cloud finds removed issues without listing every key on every sync: an incremental sync
asks Jira's approximate count and lists only when it disagrees with the store, or once the last
listing is older than `removal_check_interval`. Exact request counts, against the sandbox."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from lpmsync.connectors.jira.connector import JiraConnector
from lpmsync.services.sync import SourceSummary, sync_source
from lpmsync.store import SqlStore
from tests.integration.test_jira_sync_helpers import Sandbox, sandbox_for

COUNT = "POST /rest/api/3/search/approximate-count"
SEARCH = "POST /rest/api/3/search/jql"


@pytest.fixture
def cloud() -> Iterator[Sandbox]:
    yield from sandbox_for("cloud")


def incremental(cloud: Sandbox, store: SqlStore, interval: str) -> JiraConnector:
    """A connector that has done its full sync (which lists every key)."""
    connector = cloud.connector(removal_check_interval=interval)
    assert sync_source(store, connector, cloud.clock).status == "ok"
    return connector


def second_run(
    cloud: Sandbox, store: SqlStore, connector: JiraConnector
) -> tuple[Counter[str], SourceSummary]:
    """One more (incremental) sync with a fresh request log: its requests and summary."""
    cloud.server.log.clear()
    summary = sync_source(store, connector, cloud.clock)
    assert summary.status == "ok", summary.error
    return cloud.counts(), summary


def test_nothing_changed_costs_two_requests(cloud: Sandbox, store: SqlStore) -> None:
    connector = incremental(cloud, store, "1h")
    counts, summary = second_run(cloud, store, connector)
    assert counts == Counter({COUNT: 1, SEARCH: 1})  # the count and the changed search
    assert (summary.added, summary.changed, summary.removed) == (0, 0, 0)


def test_a_count_that_disagrees_lists_every_key_and_removes(
    cloud: Sandbox, store: SqlStore
) -> None:
    connector = incremental(cloud, store, "1h")
    gone = next(item.key for item in cloud.data if not item.malformed and item.kind == "Feature")
    cloud.data.delete(gone)
    counts, summary = second_run(cloud, store, connector)
    # the count, then the listing (one page under 5,000 keys); the changed search is not repeated
    assert counts == Counter({COUNT: 1, SEARCH: 2})
    assert summary.removed == 1
    assert gone not in {item.key for item in store.items.load(["jira"])}


def test_zero_interval_lists_on_every_sync_without_counting(
    cloud: Sandbox, store: SqlStore
) -> None:
    connector = incremental(cloud, store, "0s")
    counts, _ = second_run(cloud, store, connector)
    assert counts == Counter({SEARCH: 2})  # the listing and the changed search


def test_a_listing_older_than_the_interval_is_done_again(cloud: Sandbox, store: SqlStore) -> None:
    connector = incremental(cloud, store, "1s")
    time.sleep(1.1)
    counts, _ = second_run(cloud, store, connector)
    assert counts == Counter({SEARCH: 2})
    counts, _ = second_run(cloud, store, connector)  # listed just now: the count is trusted
    assert counts == Counter({COUNT: 1, SEARCH: 1})
