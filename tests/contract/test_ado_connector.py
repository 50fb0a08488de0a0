"""The Azure DevOps connector against a `responses` fake that checks every request against the
WIT 7.1 spec: exact request counts, id windows, batching, incremental sync with removals,
revision history and the cursor on every page."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses

from lpmsync.connectors.azure_devops.mapping import requested_fields
from lpmsync.domain.findings import JsonValue
from lpmsync.domain.model import StateChange
from lpmsync.domain.sync import Cursor, SyncPage
from tests.contract.ado_fake import FakeBoards, fields_of
from tests.contract.ado_harness import Harness, make_config, make_harness


@pytest.fixture
def boards() -> Iterator[FakeBoards]:
    fake = FakeBoards()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


@pytest.fixture
def harness(boards: FakeBoards, tmp_path: Path) -> Harness:
    """A source that records transitions from its first sync on (`history_backfill: false`)."""
    return make_harness(boards, tmp_path, history_backfill=False)


@pytest.fixture
def backfill(boards: FakeBoards, tmp_path: Path) -> Harness:
    """The default: a source that reads every past transition on its first sync."""
    return make_harness(boards, tmp_path)


def cursor(
    changed: str | None,
    token: str | None,
    unstored: list[int] | None = None,
    since: str | None = None,
) -> Cursor:
    ids: list[JsonValue] = list(unstored or [])
    written: dict[str, JsonValue] = {"changed": changed, "revisions_token": token, "unstored": ids}
    if since is not None:
        written["revisions_since"] = since
    return written


AS_OF = "2026-11-16T09:00:00+00:00"


def keys(pages: list[SyncPage]) -> list[str]:
    return [item.key for page in pages for item in page.items]


@pytest.mark.parametrize("count", [0, 1, 200, 201, 450])
def test_full_sync_costs_one_wiql_and_a_batch_per_200(
    boards: FakeBoards, harness: Harness, count: int
) -> None:
    boards.add(*(fields_of(i) for i in range(1, count + 1)))
    pages = harness.sync()
    batches = math.ceil(count / 200)
    # At the floor: no revision pages without history_backfill.
    assert (boards.wit("wiql"), boards.wit("batch"), boards.wit("revisions")) == (1, batches, 0)
    assert harness.connector.requests_made == boards.total()  # discovery included
    assert sum(page.requests for page in pages) == boards.total()
    assert keys(pages) == [str(i) for i in range(1, count + 1)]
    assert len(pages) == max(batches, 1)  # one page per batch (an empty listing: one page)
    assert [page.scope is not None for page in pages] == [False] * (len(pages) - 1) + [True]
    assert pages[-1].scope == frozenset(str(i) for i in range(1, count + 1))
    assert all(page.cursor is not None for page in pages)


def test_listing_pages_by_id_windows_past_20000(boards: FakeBoards, harness: Harness) -> None:
    count = 20_250
    boards.add(*(fields_of(i) for i in range(1, count + 1)))
    pages = harness.sync()
    assert boards.wit("wiql") == 2 and boards.wit("batch") == math.ceil(count / 200)
    assert "[System.Id] >" not in boards.wiql_queries[0]
    assert boards.wiql_queries[1].endswith("AND [System.Id] > 20000 ORDER BY [System.Id]")
    assert all(len(body["ids"]) <= 200 for body in boards.batch_bodies)
    assert keys(pages) == [str(i) for i in range(1, count + 1)]  # in id order, none twice
    assert len(pages[-1].scope or ()) == count


def test_requests_carry_only_what_lpmsync_needs(boards: FakeBoards, backfill: Harness) -> None:
    boards.add(fields_of(1), fields_of(2, "Feature"))
    backfill.sync()
    (body,) = boards.batch_bodies
    assert body == {"ids": [1, 2], "fields": requested_fields(make_config()), "errorPolicy": "omit"}
    (revisions,) = boards.revision_queries
    assert revisions["types"] == ["Epic,Feature"] and "continuationToken" not in revisions
    assert revisions["fields"] == [
        "System.State,System.ChangedDate,Microsoft.VSTS.Common.StateChangeDate"
    ]


def test_wiql_goes_to_the_team_route_when_a_team_is_configured(
    boards: FakeBoards, tmp_path: Path
) -> None:
    boards.add(fields_of(1))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        boards.install(mock)
        make_harness(boards, tmp_path, team="Payments Team").sync()
        wiql = [call.request for call in mock.calls if "/wiql" in (call.request.url or "")]
    assert urlsplit(wiql[0].url or "").path == "/contoso/Contoso/Payments%20Team/_apis/wit/wiql"
    assert json.loads(wiql[0].body or b"") == {"query": boards.wiql_queries[0]}


def test_nothing_changed_costs_exactly_two_requests(boards: FakeBoards, harness: Harness) -> None:
    boards.add(*(fields_of(i) for i in range(1, 301)))
    first = harness.sync()
    before = harness.connector.requests_made
    (page,) = harness.resync(first)
    assert harness.connector.requests_made - before == 2 == page.requests
    assert boards.wit("wiql") == 3 and boards.wit("batch") == 2 and boards.wit("revisions") == 0
    assert page.items == () and page.scope == first[-1].scope
    assert page.cursor == first[-1].cursor == cursor(AS_OF, None, since=AS_OF)
    assert boards.wiql_queries[-1].endswith(
        "AND [System.ChangedDate] >= '2026-11-16T08:55:00Z' ORDER BY [System.Id]"
    )
    listing, changed = boards.wiql_params[-2:]
    assert listing == {"$top": ["20000"]}
    assert changed == {"$top": ["20000"], "timePrecision": ["true"]}  # the time part counts


def test_incremental_fetches_changed_and_new_items_and_detects_removals(
    boards: FakeBoards, backfill: Harness
) -> None:
    harness = backfill
    boards.add(*(fields_of(i) for i in range(1, 11)))
    boards.revisions = [{"id": 3, "rev": 1, "fields": fields_of(3)["fields"]}]
    first = harness.sync()
    changed_at = "2026-11-16T10:00:00Z"
    boards.add(fields_of(3, state="Active", changed=changed_at), fields_of(99))  # 99: new, old
    del boards.items[5]
    boards.revisions.append(
        {"id": 3, "rev": 2, "fields": fields_of(3, "Epic", "Active", changed_at)["fields"]}
    )
    boards.as_of = "2026-11-16T11:00:00Z"
    second = harness.resync(first)
    assert boards.batch_bodies[-1]["ids"] == [3, 99]
    assert keys(second) == ["3", "99"]
    assert second[-1].scope == frozenset({"1", "2", "3", "4", "6", "7", "8", "9", "10", "99"})
    assert boards.revision_queries[-1]["continuationToken"] == ["1"]  # resumed, not re-read
    history = [change for page in second for change in page.history]
    assert [(c.key, c.from_status, c.to_status) for c in history] == [("3", None, "Active")]
    assert second[0].cursor == cursor("2026-11-16T09:00:00+00:00", "1")
    assert second[-1].cursor == cursor("2026-11-16T11:00:00+00:00", "2")


def test_full_request_ignores_the_cursor_but_pages_keep_its_watermark(
    boards: FakeBoards, harness: Harness
) -> None:
    boards.add(*(fields_of(i) for i in range(1, 401)))
    first = harness.sync()
    boards.as_of = "2026-11-17T09:00:00Z"
    again = harness.resync(first, full=True)
    assert keys(again) == keys(first) and boards.wit("wiql") == 2  # no changed-ids query
    assert boards.revision_queries == []  # no backfill: the history stream starts afresh
    # a run stopped half-way must be repeated from the old watermark, not skip changes
    assert [page.cursor for page in again[:-1]] == [cursor("2026-11-16T09:00:00+00:00", None)]
    assert again[-1].cursor == cursor(
        "2026-11-17T09:00:00+00:00", None, since="2026-11-17T09:00:00+00:00"
    )


def test_a_first_sync_stopped_half_way_starts_over(boards: FakeBoards, harness: Harness) -> None:
    boards.add(*(fields_of(i) for i in range(1, 401)))
    pages = harness.sync()
    assert pages[0].cursor == cursor(None, None)


def test_revisions_are_read_page_by_page_with_the_token_in_each_cursor(
    boards: FakeBoards, backfill: Harness
) -> None:
    harness = backfill
    boards.add(fields_of(1), fields_of(2))
    boards.revisions_page = 2
    steps = [(1, "New"), (2, "New"), (1, "Active"), (2, "Active"), (1, "Closed")]
    boards.revisions = [
        {
            "id": i,
            "rev": n,
            "fields": fields_of(i, state=s, changed=f"2026-0{n}-0{i}T00:00:00Z")["fields"],
        }
        for n, (i, s) in enumerate(steps, start=1)
    ]
    pages = harness.sync()
    revision_pages = pages[1:]
    assert [(page.cursor or {})["revisions_token"] for page in revision_pages] == ["2", "4", "5"]
    assert [page.requests for page in revision_pages] == [1, 1, 1]
    history = [change for page in revision_pages for change in page.history]
    assert [(c.key, c.from_status, c.to_status) for c in history] == [
        ("1", None, "New"),
        ("2", None, "New"),
        ("1", "New", "Active"),
        ("2", "New", "Active"),
        ("1", "Active", "Closed"),
    ]
    assert isinstance(history[0], StateChange) and history[0].at.tzinfo is not None


def test_history_is_kept_only_for_items_in_scope(boards: FakeBoards, backfill: Harness) -> None:
    harness = backfill
    boards.add(fields_of(1))
    outside = fields_of(2)  # e.g. an Epic outside the configured area path filter
    boards.revisions = [
        {"id": 1, "rev": 1, "fields": fields_of(1)["fields"]},
        {"id": 2, "rev": 1, "fields": outside["fields"]},
    ]
    pages = harness.sync()
    assert [change.key for page in pages for change in page.history] == ["1"]


def test_malformed_items_are_skipped_and_the_sync_goes_on(
    boards: FakeBoards, harness: Harness
) -> None:
    broken_type = fields_of(2)
    del broken_type["fields"]["System.WorkItemType"]
    broken_state = fields_of(3, state="Active")
    broken_state["fields"]["System.State"] = {"name": "Active"}
    boards.add(fields_of(1), broken_type, broken_state, fields_of(4, state="On Hold"))
    pages = harness.sync()
    assert keys(pages) == ["1", "4"]
    skipped = [(s.key, s.reason) for page in pages for s in page.skipped]
    assert skipped == [
        ("2", "field System.WorkItemType is missing"),
        ("3", "field System.State is dict, expected text"),
    ]
    assert pages[0].items[1].state == "unmapped"
    assert pages[-1].scope == frozenset({"1", "2", "3", "4"})  # skipped items stay in scope


def test_unstored_items_are_fetched_again_only_when_they_change(
    boards: FakeBoards, harness: Harness
) -> None:
    broken = fields_of(2)
    del broken["fields"]["System.Title"]
    boards.add(fields_of(1), broken)
    first = harness.sync()
    assert first[-1].cursor == cursor(AS_OF, None, [2], since=AS_OF)
    assert harness.resync(first)[-1].requests == 2  # not fetched again while unchanged
    fixed = fields_of(2, changed="2026-11-16T10:00:00Z")
    boards.add(fixed)
    boards.as_of = "2026-11-16T11:00:00Z"
    pages = harness.sync(first[-1].cursor, frozenset({"1"}))
    assert keys(pages) == ["2"]
    assert boards.revision_queries[-1]["startDateTime"] == ["2026-11-16T09:00:00Z"]
    assert pages[-1].cursor == cursor("2026-11-16T11:00:00+00:00", "0")


def test_by_default_the_first_sync_reads_the_history_then_only_what_changed(
    boards: FakeBoards, backfill: Harness
) -> None:
    # 2,500 revisions of 450 items: one sequential request per 1,000 revisions on the first sync.
    boards.add(*(fields_of(i) for i in range(1, 451)))
    boards.revisions = [
        {
            "id": index % 450 + 1,
            "rev": index // 450 + 1,
            "fields": fields_of(index % 450 + 1)["fields"],
        }
        for index in range(2_500)
    ]
    first = backfill.sync()
    assert (boards.wit("wiql"), boards.wit("batch"), boards.wit("revisions")) == (1, 3, 3)
    (page,) = backfill.resync(first)
    assert (boards.wit("wiql"), boards.wit("batch"), boards.wit("revisions")) == (3, 3, 3)
    assert page.requests == 2  # nothing changed: the two listings, no revision page
