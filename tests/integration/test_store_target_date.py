"""Migration 0005: items keep their target date; items without one keep their content hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.sync import SyncPage
from lpmsync.store import SqlStore
from lpmsync.store.items import item_to_row

AT = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
ITEM = WorkItem(
    source="jira",
    key="PORT-1",
    id="1",
    level=Level.EPIC,
    title="Checkout",
    url="https://jira.example/browse/PORT-1",
    status="In Progress",
    state="Implementing",
    created=AT,
    updated=AT,
)


def test_the_target_date_round_trips(store: SqlStore) -> None:
    dated = replace(ITEM, target_date=date(2027, 3, 12))
    outcome = store.items.apply_page(
        "jira", SyncPage(items=(dated, replace(ITEM, key="PORT-2"))), AT
    )
    assert outcome.added == 2
    by_key = {item.key: item for item in store.items.load()}
    assert by_key["PORT-1"].target_date == date(2027, 3, 12)
    assert by_key["PORT-2"].target_date is None
    again = store.items.apply_page("jira", SyncPage(items=(dated,)), AT)
    assert again.changed == 0
    moved = store.items.apply_page("jira", SyncPage(items=(replace(dated, target_date=None),)), AT)
    assert moved.changed == 1


def test_an_item_without_a_target_date_hashes_as_before_the_migration() -> None:
    row = item_to_row(ITEM, AT)
    assert row["target_date"] is None
    assert row["content_hash"] == item_to_row(replace(ITEM, target_date=None), AT)["content_hash"]
    dated = item_to_row(replace(ITEM, target_date=date(2027, 1, 1)), AT)
    assert dated["content_hash"] != row["content_hash"]
