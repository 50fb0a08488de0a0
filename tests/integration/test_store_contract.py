"""The store contract: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from lpmsync.domain.model import ItemRef, Level, SkippedItem, StateChange, WorkItem, WsjfInputs
from lpmsync.domain.sync import SyncPage
from lpmsync.store import SqlStore, open_store

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def item(key: str, source: str = "jira", **changes: object) -> WorkItem:
    base = WorkItem(
        source=source,
        key=key,
        id=key.rsplit("-", maxsplit=1)[-1],
        level=Level.FEATURE,
        title=f"Feature {key} <!channel> & more",
        url=f"https://example.test/browse/{key}",
        status="In Progress",
        state="Implementing",
        created=T0,
        updated=T0 + timedelta(days=3),
        entered_state_at=T0 + timedelta(days=1),
        parent=ItemRef(source, "PORT-1"),
        theme_values=("Customer Experience",),
        labels=("cx", "mobile"),
        components=("Checkout",),
        value_stream="Payments",
        owner="ada@example.test",
        estimate=8.0,
        wsjf=WsjfInputs(8, 5, 3, 2),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_items_round_trip_exactly(store: SqlStore, now: datetime) -> None:
    original = item("PORT-2")
    outcome = store.items.apply_page("jira", SyncPage(items=(original,)), now)
    assert (outcome.added, outcome.changed, outcome.removed) == (1, 0, 0)
    assert store.items.load() == [original]
    assert store.items.load()[0].updated.tzinfo is not None


def test_every_optional_field_reads_back_set_and_unset(store: SqlStore, now: datetime) -> None:
    # Items are read through the driver's own rows (store/item_rows.py), where SQLite hands back
    # text and psycopg datetimes, dates and JSON: both ways must give the item that was stored.
    full = item(
        "PORT-3",
        title='Zahlungsströme 💳 "quoted" [x]',
        target_date=date(2026, 12, 24),
        area_path="Contoso\\Payments",
        created=datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
        wsjf=WsjfInputs(1.5, None, 3, None),
    )
    bare = item(
        "PORT-4",
        entered_state_at=None,
        parent=None,
        theme_values=(),
        labels=(),
        components=(),
        value_stream=None,
        owner=None,
        estimate=None,
        wsjf=WsjfInputs(),
    )
    store.items.apply_page("jira", SyncPage(items=(full, bare)), now)

    loaded = store.items.load(["jira"])

    assert loaded == [full, bare]
    assert [repr(one) for one in loaded] == [repr(full), repr(bare)]
    assert all(one.created.tzinfo is UTC for one in loaded)


def test_upsert_counts_only_real_changes(store: SqlStore, now: datetime) -> None:
    store.items.apply_page("jira", SyncPage(items=(item("PORT-2"), item("PORT-3"))), now)
    again = store.items.apply_page(
        "jira", SyncPage(items=(item("PORT-2"), item("PORT-3", title="Renamed"))), now
    )
    assert (again.added, again.changed) == (0, 1)
    assert {i.title for i in store.items.load()} == {"Feature PORT-2 <!channel> & more", "Renamed"}


def test_same_key_in_two_sources_are_two_items(store: SqlStore, now: datetime) -> None:
    store.items.apply_page("jira", SyncPage(items=(item("1", source="jira"),)), now)
    store.items.apply_page("ado", SyncPage(items=(item("1", source="ado"),)), now)
    assert sorted(i.ref for i in store.items.load()) == [ItemRef("ado", "1"), ItemRef("jira", "1")]


def test_cursor_is_committed_with_its_page(store: SqlStore, now: datetime) -> None:
    assert store.items.cursor("jira") is None
    cursor = {"updated": "2026-05-04T12:00:00+00:00", "keys": ["PORT-2"]}
    store.items.apply_page("jira", SyncPage(items=(item("PORT-2"),), cursor=cursor), now)
    assert store.items.cursor("jira") == cursor
    store.items.apply_page("jira", SyncPage(items=(item("PORT-3"),)), now)
    assert store.items.cursor("jira") == cursor  # a page without a cursor leaves it alone
    store.items.reset_cursor("jira")
    assert store.items.cursor("jira") is None


def test_a_failing_page_leaves_nothing_behind(store: SqlStore, now: datetime) -> None:
    bad = replace(item("PORT-9"), created=datetime(2026, 1, 1))  # naive: refused by the store
    try:
        store.items.apply_page("jira", SyncPage(items=(item("PORT-2"), bad), cursor={"x": 1}), now)
    except ValueError:
        pass
    except Exception as exc:  # SQLAlchemy wraps the bind error
        assert "naive" in str(exc)
    assert store.items.load() == []
    assert store.items.cursor("jira") is None


def test_history_is_deduplicated(store: SqlStore, now: datetime) -> None:
    changes = (
        StateChange("jira", "PORT-2", T0, None, "Funnel"),
        StateChange("jira", "PORT-2", T0 + timedelta(days=1), "Funnel", "In Progress"),
    )
    store.items.apply_page("jira", SyncPage(items=(item("PORT-2"),), history=changes), now)
    store.items.apply_page("jira", SyncPage(items=(item("PORT-2"),), history=changes), now)
    assert store.items.history() == list(changes)


def test_history_of_some_items(store: SqlStore, now: datetime) -> None:
    changes = tuple(StateChange("jira", key, T0, None, "Funnel") for key in ("P-1", "P-2", "P-3"))
    items_ = tuple(item(key) for key in ("P-1", "P-2", "P-3"))
    store.items.apply_page("jira", SyncPage(items=items_, history=changes), now)
    assert store.items.history(["jira"], keys=["P-2"]) == [changes[1]]
    assert store.items.history(["ado"], keys=["P-2"]) == []
    assert store.items.history(keys=["P-1", "P-3"]) == [changes[0], changes[2]]


def test_scope_removes_items_and_their_history(store: SqlStore, now: datetime) -> None:
    history = (StateChange("jira", "PORT-3", T0, None, "Funnel"),)
    page = SyncPage(items=(item("PORT-2"), item("PORT-3")), history=history)
    store.items.apply_page("jira", page, now)
    store.items.apply_page("ado", SyncPage(items=(item("PORT-3", source="ado"),)), now)
    outcome = store.items.apply_page("jira", SyncPage(scope=frozenset({"PORT-2"})), now)
    assert outcome.removed == 1
    assert store.items.known_keys("jira") == frozenset({"PORT-2"})
    assert store.items.known_keys("ado") == frozenset({"PORT-3"})  # other sources untouched
    assert store.items.history() == []


def test_large_pages_are_chunked(store: SqlStore, now: datetime) -> None:
    many = tuple(item(f"PORT-{n}") for n in range(1, 1201))
    outcome = store.items.apply_page(
        "jira", SyncPage(items=many, scope=frozenset(i.key for i in many)), now
    )
    assert outcome.added == 1200
    assert store.items.count() == 1200
    assert len(store.items.known_keys("jira")) == 1200


def test_runs_record_what_each_job_did(store: SqlStore, now: datetime) -> None:
    first = store.runs.start("sync", "jira", now)
    store.runs.finish(first, now + timedelta(seconds=3), "ok", {"added": 3, "skipped": []})
    second = store.runs.start("sync", "jira", now + timedelta(minutes=15))
    store.runs.finish(second, now + timedelta(minutes=16), "failed", {}, "401 from https://x")
    latest = store.runs.latest("sync", "jira")
    assert latest is not None and latest.status == "failed" and latest.error == "401 from https://x"
    ok = store.runs.latest("sync", "jira", status="ok")
    assert ok is not None and ok.stats == {"added": 3, "skipped": []}
    assert [r.id for r in store.runs.latest_per_job()] == [second]


def test_reopening_does_not_migrate_twice(store_url: str) -> None:
    first = open_store(store_url)
    assert first.upgrade() == []
    assert {"items", "state_changes", "cursors", "runs"} <= set(first.tables())
    first.close()


def test_skipped_items_are_plain_values() -> None:
    assert SkippedItem("jira", "PORT-7", "missing fields.status").key == "PORT-7"


def test_hygiene_counts_are_the_stores_current_truth(store: SqlStore) -> None:
    """Unmapped and skipped counts survive incremental syncs that do not see those items, drop
    when an item syncs cleanly, and drop when it leaves the scope."""
    from lpmsync.domain.model import UNMAPPED, SkippedItem
    from lpmsync.domain.sync import SyncPage
    from tests.integration.notify_support import T0, work_item

    first = SyncPage(
        items=tuple(work_item(f"U-{i}", state=UNMAPPED) for i in range(9)),
        skipped=(SkippedItem("jira", "S-1", "no title"), SkippedItem("jira", "S-2", "bad date")),
    )
    store.items.apply_page("jira", first, T0)
    assert store.items.hygiene_counts() == {"jira": (9, 2)}
    store.items.apply_page("jira", SyncPage(items=(work_item("OK-1"),)), T0)  # incremental
    assert store.items.hygiene_counts() == {"jira": (9, 2)}
    store.items.apply_page("jira", SyncPage(items=(work_item("U-0"), work_item("S-1"))), T0)
    assert store.items.hygiene_counts() == {"jira": (8, 1)}
    scope = frozenset({"OK-1", "U-0", "S-1", *(f"U-{i}" for i in range(1, 5))})
    store.items.apply_page("jira", SyncPage(scope=scope), T0)
    assert store.items.hygiene_counts() == {"jira": (4, 0)}
    # Skipped on the very page whose scope leaves it out: it is not kept either.
    outside = SyncPage(skipped=(SkippedItem("jira", "S-9", "no title"),), scope=scope)
    store.items.apply_page("jira", outside, T0)
    assert store.items.hygiene_counts() == {"jira": (4, 0)}
