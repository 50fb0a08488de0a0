"""A large page stores every value exactly, on SQLite and PostgreSQL (there as one JSON array of
row objects); a page orjson cannot write (PostgreSQL) goes by executemany with the same result."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lpmsync.domain.model import StateChange, WorkItem, WsjfInputs
from lpmsync.domain.sync import SyncPage
from lpmsync.store import SqlStore, bulk
from lpmsync.store.items import item_to_row
from lpmsync.store.schema import items as items_table
from tests.integration.test_store_contract import T0, item

# JSON's and COPY's escapes (backslash, \t, \N) and quotes, in every kind of column.
AWKWARD = ("back\\slash", "tab-like \\t and \\N", "quote ' and \"", "ünïcødé ✓ 𝄞", "semi; colon")


PAGE = 40


def _page_items(count: int) -> list[WorkItem]:
    found = []
    for n in range(count):
        text = AWKWARD[n % len(AWKWARD)]
        found.append(
            replace(
                item(f"PORT-{n + 10}"),
                title=f"{text} {n}",
                area_path=f"Contoso\\{text}",
                labels=(text, f"l{n}"),
                owner=None if n % 3 else text,
                estimate=None if n % 4 else n + 0.5,
                wsjf=WsjfInputs(n, None, 2.5, None),
                updated=T0 + timedelta(microseconds=n),
            )
        )
    return found


def _history(items: list[WorkItem]) -> tuple[StateChange, ...]:
    return tuple(
        StateChange("jira", one.key, T0 + timedelta(hours=h), "To Do" if h else None, AWKWARD[h])
        for one in items
        for h in range(3)
    )


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "executemany"])
def test_a_large_page_round_trips_exactly(
    store: SqlStore, now: datetime, as_json: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _page_items(PAGE)
    history = _history(items)
    sent: list[str] = []  # the tables that went as one JSON array
    json_rows = bulk._json_rows

    def spy(plan: Any, rows: list[Any], values: list[Any]) -> str | None:
        document = json_rows(plan, rows, values) if as_json else None  # None: orjson refused
        if document is not None:
            sent.append(plan.sql.split()[2].strip('"'))
        return document

    monkeypatch.setattr(bulk, "_json_rows", spy)

    outcome = store.items.apply_page("jira", SyncPage(items=tuple(items), history=history), now)

    postgres_json = as_json and store.dialect == "postgresql"
    assert sent == (["items", "state_changes"] if postgres_json else [])
    assert (outcome.added, outcome.changed) == (len(items), 0)
    assert store.items.load() == sorted(items, key=lambda one: one.key)
    assert sorted(store.items.history(), key=_order) == sorted(history, key=_order)


def test_a_key_twice_in_one_page_keeps_the_last(store: SqlStore, now: datetime) -> None:
    items = _page_items(PAGE + 5)
    twice = replace(items[0], title="the later one")
    store.items.apply_page("jira", SyncPage(items=(*items, twice)), now)
    stored = {one.key: one for one in store.items.load()}
    assert len(stored) == len(items)
    assert stored[twice.key].title == "the later one"


def test_a_second_page_updates_and_counts_changes(store: SqlStore, now: datetime) -> None:
    items = _page_items(PAGE + 5)
    store.items.apply_page("jira", SyncPage(items=tuple(items), history=_history(items)), now)
    again = [replace(one, title="renamed") if n % 2 else one for n, one in enumerate(items)]
    outcome = store.items.apply_page(
        "jira", SyncPage(items=tuple(again), history=_history(again)), now
    )
    assert (outcome.added, outcome.changed) == (0, len(items) // 2)
    assert store.items.load() == sorted(again, key=lambda one: one.key)
    assert len(store.items.history()) == 3 * len(items)  # the same transitions, stored once


def _order(change: StateChange) -> tuple[str, datetime, str]:
    return change.key, change.at, change.to_status


@pytest.mark.parametrize("estimate", [2.0**70, 2**70, float("nan")], ids=["big", "int", "nan"])
def test_values_json_cannot_carry_are_stored_as_before(
    store: SqlStore, now: datetime, estimate: float
) -> None:
    """orjson refuses an integer beyond 64 bits and writes NaN as null: such a page goes by
    executemany, so the value is stored as the driver always stored it."""
    rows = [item_to_row(one, now) for one in _page_items(PAGE)]
    rows[1]["estimate"] = estimate
    with store.engine.begin() as conn:
        bulk.upsert(conn, items_table, rows, ("source", "key"))
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(items_table.c.estimate).where(items_table.c.key == rows[1]["key"])
        ).scalar_one()
    if not math.isnan(estimate):
        assert stored == float(estimate)
    elif store.dialect == "postgresql":
        assert math.isnan(stored)  # not null, as JSON would have carried it
    else:
        assert stored is None  # SQLite has no NaN: its driver always stored NULL
