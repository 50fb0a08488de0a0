"""Jira finds removed issues without listing every key on every sync: an incremental sync asks
for the size of the scope (Cloud's approximate count, Data Center's `total` of a `maxResults: 0`
search) and lists only when it disagrees with the store, or once the last listing is older than
`removal_check_interval`. Exact request counts, against the sandbox."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from lpmsync.connectors.jira.connector import JiraConnector
from lpmsync.services.sync import SourceSummary, sync_source
from lpmsync.store import SqlStore
from tests.integration.test_jira_sync_helpers import Sandbox, sandbox_for

CLOUD_COUNT = "POST /rest/api/3/search/approximate-count"
CLOUD_SEARCH = "POST /rest/api/3/search/jql"
DC_SEARCH = "POST /rest/api/2/search"  # Data Center counts, lists and searches with it


@pytest.fixture(params=["cloud", "datacenter"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    yield from sandbox_for(str(request.param))


def requests(sandbox: Sandbox, *, count: int, searches: int) -> Counter[str]:
    """The expected requests: `count` size queries and `searches` listings or searches."""
    if sandbox.deployment == "cloud":
        return +Counter({CLOUD_COUNT: count, CLOUD_SEARCH: searches})
    return Counter({DC_SEARCH: count + searches})


def incremental(sandbox: Sandbox, store: SqlStore, interval: str) -> JiraConnector:
    """A connector that has done its full sync (which lists every key)."""
    connector = sandbox.connector(removal_check_interval=interval)
    assert sync_source(store, connector, sandbox.clock).status == "ok"
    return connector


def second_run(
    sandbox: Sandbox, store: SqlStore, connector: JiraConnector
) -> tuple[Counter[str], SourceSummary]:
    """One more (incremental) sync with a fresh request log: its requests and summary."""
    sandbox.server.log.clear()
    summary = sync_source(store, connector, sandbox.clock)
    assert summary.status == "ok", summary.error
    return sandbox.counts(), summary


def test_nothing_changed_costs_two_requests(sandbox: Sandbox, store: SqlStore) -> None:
    connector = incremental(sandbox, store, "1h")
    counts, summary = second_run(sandbox, store, connector)
    assert counts == requests(sandbox, count=1, searches=1)  # the count and the changed search
    assert (summary.added, summary.changed, summary.removed) == (0, 0, 0)


def test_a_count_that_disagrees_lists_every_key_and_removes(
    sandbox: Sandbox, store: SqlStore
) -> None:
    connector = incremental(sandbox, store, "1h")
    gone = next(item.key for item in sandbox.data if not item.malformed and item.kind == "Feature")
    sandbox.data.delete(gone)
    counts, summary = second_run(sandbox, store, connector)
    # the count, the changed search, then the listing (one page here); the search is not repeated
    assert counts == requests(sandbox, count=1, searches=2)
    assert summary.removed == 1
    assert gone not in {item.key for item in store.items.load(["jira"])}


def test_zero_interval_lists_on_every_sync_without_counting(
    sandbox: Sandbox, store: SqlStore
) -> None:
    connector = incremental(sandbox, store, "0s")
    counts, _ = second_run(sandbox, store, connector)
    assert counts == requests(sandbox, count=0, searches=2)  # the listing and the changed search


def test_a_listing_older_than_the_interval_is_done_again(sandbox: Sandbox, store: SqlStore) -> None:
    # The listing's time is the server's `Date` header, whole seconds: the interval leaves room
    # for that and for a slow machine between the two runs below.
    connector = incremental(sandbox, store, "3s")
    time.sleep(3.1)
    counts, _ = second_run(sandbox, store, connector)
    assert counts == requests(sandbox, count=0, searches=2)
    counts, _ = second_run(sandbox, store, connector)  # listed just now: the count is trusted
    assert counts == requests(sandbox, count=1, searches=1)
