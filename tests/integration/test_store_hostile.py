"""Hostile values through the store, on SQLite and PostgreSQL alike: an item is stored
sanitised or refused with a reason; the page, its cursor and the other items always commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpmsync.domain.model import ItemRef, SkippedItem, StateChange, WsjfInputs
from lpmsync.domain.sanitise import KEY_LIMIT, TITLE_LIMIT, sanitise_item
from lpmsync.domain.sync import SyncPage
from lpmsync.domain.text import is_clean
from lpmsync.services.sync import sync_source
from lpmsync.store import SqlStore
from tests.integration.test_store_contract import T0, item
from tests.unit.test_sync_service import FakeConnector, SteppingClock

# (what, changes to a good item, the refusal reason or None when it is stored sanitised)
HOSTILE_ITEMS: list[tuple[str, dict[str, object], str | None]] = [
    ("NUL in title", {"title": "a\x00b"}, None),
    ("lone surrogate", {"title": "bad \udc80 title"}, None),
    ("control chars", {"title": "\x1b[31mred\x07", "owner": "o\x00wner"}, None),
    ("RTL override", {"title": "\u202eevil\u202c\u200b"}, None),
    ("long title", {"title": "t" * 20_000}, None),
    ("long status", {"status": "s" * 1_000, "value_stream": "v" * 1_000}, None),
    ("NUL in labels", {"labels": ("a\x00", "\udc80"), "theme_values": ("x" * 999,)}, None),
    ("long area path", {"area_path": "\\".join(["node"] * 2_000)}, None),
    ("key over 255", {"key": "K" * 300}, "key is longer than 255"),
    ("id over 255", {"id": "9" * 300}, "id is longer than 255"),
    ("NUL in key", {"key": "PORT-\x00"}, "key is blank or holds control"),
    ("parent key over 255", {"parent": ItemRef("jira", "P" * 256)}, "parent key is longer"),
    ("infinite estimate", {"estimate": float("inf")}, "estimate is not a finite number"),
    ("NaN in WSJF", {"wsjf": WsjfInputs(job_size=float("nan"))}, "job size is not a finite"),
]


@pytest.mark.parametrize(("what", "changes", "refusal"), HOSTILE_ITEMS, ids=lambda v: str(v)[:20])
def test_a_hostile_item_is_sanitised_or_refused_and_the_page_commits(
    store: SqlStore, now: datetime, what: str, changes: dict[str, object], refusal: str | None
) -> None:
    hostile = replace(item("PORT-9"), **changes)  # type: ignore[arg-type]
    history = (StateChange("jira", hostile.key, T0, "To Do\x00", "In \udc80Progress"),)
    page = SyncPage(
        items=(item("PORT-1"), hostile, item("PORT-2")),
        history=history,
        cursor={"after": "PORT-2"},
        skipped=(SkippedItem("jira", "X\x00", "reason with NUL \x00 and \udc80"),),
    )

    outcome = store.items.apply_page("jira", page, now)

    assert store.items.cursor("jira") == {"after": "PORT-2"}
    stored = {stored.key: stored for stored in store.items.load()}
    if refusal is None:
        assert outcome.refused == ()
        assert stored[hostile.key] == sanitise_item(hostile)
        kept = stored[hostile.key]
        assert all(is_clean(t) for t in (kept.title, kept.status, *kept.labels)), what
        assert len(kept.title) <= TITLE_LIMIT
    else:
        assert [refused.reason for refused in outcome.refused] == [
            next(r.reason for r in outcome.refused if refusal in r.reason)
        ]
        assert len(outcome.refused[0].key) <= KEY_LIMIT and is_clean(outcome.refused[0].key)
        assert sorted(stored) == ["PORT-1", "PORT-2"]


def test_a_hostile_page_is_counted_in_the_run_and_the_source_goes_on(store: SqlStore) -> None:
    hostile = (
        replace(item("PORT-3"), key="K" * 300),
        replace(item("PORT-4"), title="ok\x00"),
        replace(item("PORT-5"), estimate=float("inf")),
    )
    pages = [
        SyncPage(items=hostile, cursor={"n": 1}, skipped=(SkippedItem("jira", "\x00", "x"),)),
        SyncPage(items=(item("PORT-6"),), cursor={"n": 2}),
    ]
    connector = FakeConnector("jira", pages)

    summary = sync_source(store, connector, SteppingClock())

    assert summary.status == "ok" and summary.pages == 2
    assert summary.skipped_count == 3
    assert [s["reason"][:30] for s in summary.skipped] == [
        "x",
        "key is longer than 255 charact",
        "estimate is not a finite numbe",
    ]
    assert sorted(i.key for i in store.items.load()) == ["PORT-4", "PORT-6"]
    assert store.items.cursor("jira") == {"n": 2}
    run = store.runs.latest("sync", "jira")
    assert run is not None and run.stats["skipped_count"] == 3


def test_a_run_error_is_stored_without_nul_or_secrets(store: SqlStore, now: datetime) -> None:
    run_id = store.runs.start("sync", "jira", now)
    store.runs.finish(run_id, now, "failed", {}, "echo \x00 Authorization: Basic c2VjcmV0OnB3")
    run = store.runs.latest("sync", "jira")
    assert run is not None and run.error == "echo  Authorization: [REDACTED]"


texts = st.text(st.characters(codec=None), max_size=400)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.fixed_dictionaries(
        {
            "title": texts,
            "status": texts,
            "labels": st.lists(texts, max_size=3).map(tuple),
            "owner": st.none() | texts,
            "area_path": st.none() | texts,
            "estimate": st.none() | st.floats(allow_nan=True, allow_infinity=True),
            "key": st.text(st.characters(codec=None), min_size=1, max_size=300),
        }
    )
)
def test_any_text_through_the_store_is_stored_sanitised_or_refused(
    store: SqlStore, now: datetime, changes: dict[str, object]
) -> None:
    hostile = replace(item("PORT-1"), **changes)  # type: ignore[arg-type]
    key = hostile.key
    outcome = store.items.apply_page("jira", SyncPage(items=(hostile, item("PORT-0"))), now)
    stored = {stored.key: stored for stored in store.items.load()}
    assert "PORT-0" in stored
    if outcome.refused:
        assert key not in stored or key == "PORT-0"
    else:
        assert stored[key] == sanitise_item(hostile)
    store.items.apply_page("jira", SyncPage(scope=frozenset()), now)  # empty it for the next
