"""A page big enough for the bulk path (PostgreSQL: COPY into a staging table) stores every value
exactly, on SQLite and PostgreSQL; without the right to create temporary tables PostgreSQL
falls back to executemany with the same result."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from lpmsync.domain.model import StateChange, WorkItem, WsjfInputs
from lpmsync.domain.sync import SyncPage
from lpmsync.store import SqlStore, bulk
from lpmsync.store.bulk import COPY_FROM
from tests.integration.test_store_contract import T0, item

# Text COPY's own escapes (tab, newline, backslash, \N) and quotes, in every kind of column.
AWKWARD = ("back\\slash", "tab-like \\t and \\N", "quote ' and \"", "ünïcødé ✓ 𝄞", "semi; colon")


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


@pytest.mark.parametrize("temporary", [True, False], ids=["copy", "executemany"])
def test_a_large_page_round_trips_exactly(
    store: SqlStore, now: datetime, temporary: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _page_items(COPY_FROM * 2)
    history = _history(items)
    if not temporary:  # as for a role without TEMPORARY on the database
        monkeypatch.setattr(bulk, "_temporary_allowed", lambda conn: False)
    copied: list[str] = []  # the tables that went through COPY
    copy_upsert = bulk._copy_upsert

    def spy(conn: Connection, plan: Any, rows: list[Any]) -> None:
        copied.append(plan.sql.split()[2].strip('"'))
        copy_upsert(conn, plan, rows)

    monkeypatch.setattr(bulk, "_copy_upsert", spy)

    outcome = store.items.apply_page("jira", SyncPage(items=tuple(items), history=history), now)

    postgres_copy = temporary and store.dialect == "postgresql"
    assert copied == (["items", "state_changes"] if postgres_copy else [])
    assert (outcome.added, outcome.changed) == (len(items), 0)
    assert store.items.load() == sorted(items, key=lambda one: one.key)
    assert sorted(store.items.history(), key=_order) == sorted(history, key=_order)


def test_a_key_twice_in_one_page_keeps_the_last(store: SqlStore, now: datetime) -> None:
    items = _page_items(COPY_FROM + 5)
    twice = replace(items[0], title="the later one")
    store.items.apply_page("jira", SyncPage(items=(*items, twice)), now)
    stored = {one.key: one for one in store.items.load()}
    assert len(stored) == len(items)
    assert stored[twice.key].title == "the later one"


def test_a_second_page_updates_and_counts_changes(store: SqlStore, now: datetime) -> None:
    items = _page_items(COPY_FROM + 5)
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
