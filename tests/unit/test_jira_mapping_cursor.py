"""The pure planning half of the Jira connector: cursor <-> plan, keys to fetch, watermark, JQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lpmsync.connectors.jira.cursor import (
    CursorState,
    Mode,
    Plan,
    boundary,
    keys_to_fetch,
    make_plan,
    unchanged,
    watermark,
)
from lpmsync.connectors.jira.jql import (
    SAFE_ZONE,
    base_jql,
    changed_jql,
    keys_jql,
    reading,
    scope_jql,
)
from lpmsync.domain.findings import JsonValue
from lpmsync.domain.sync import SyncRequest

W = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
LISTED = ["P-1", "P-2", "P-3", "P-4", "P-5"]


def state(**values: object) -> CursorState:
    return CursorState(**{"updated": W, "config": "abc", **values})  # type: ignore[arg-type]


def plan_for(previous: CursorState | None, *, full: bool = False, config: str = "abc") -> Plan:
    cursor = previous.to_json() if previous is not None else None
    return make_plan(SyncRequest(cursor, frozenset({"P-1", "P-2", "P-3"}), full), config)


def test_the_cursor_round_trips_through_json() -> None:
    original = state(
        seen={"P-1": W},
        ignored=frozenset({"P-9"}),
        retry=frozenset({"P-8"}),
        resume_after="P-2",
        resume_since=W - timedelta(hours=1),
        utc_offset=120,
    )
    assert CursorState.parse(original.to_json()) == original


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {},
        {"v": 99, "updated": W.isoformat()},
        {"v": 1, "updated": "soon"},
        {"v": 1, "seen": {"A": 3}},
    ],
)
def test_an_unreadable_cursor_means_a_full_sync(raw: dict[str, JsonValue] | None) -> None:
    assert CursorState.parse(raw) is None
    assert make_plan(SyncRequest(raw, frozenset()), "abc").mode is Mode.FULL


def test_the_mode_follows_the_request_and_the_cursor() -> None:
    assert plan_for(state()).mode is Mode.INCREMENTAL
    assert plan_for(state()).since == W
    assert plan_for(state(), full=True).mode is Mode.FULL
    assert plan_for(state(), config="changed").mode is Mode.FULL  # the mapping changed
    assert plan_for(state(updated=None)).mode is Mode.FULL
    resuming = plan_for(state(resume_after="P-2", resume_since=W))
    assert (resuming.mode, resuming.since) == (Mode.RESUME, W)
    assert plan_for(state(resume_after="P-2")).mode is Mode.FULL  # no start time: start over


def test_incremental_fetches_changed_new_and_retried_keys_in_listing_order() -> None:
    plan = plan_for(state(ignored=frozenset({"P-5"}), retry=frozenset({"P-1"})))

    # P-4 is new to the store, P-5 is known to be ignored, P-1 failed last time
    assert keys_to_fetch(plan, LISTED, {"P-3", "P-77"}) == ["P-1", "P-3", "P-4"]


def test_resume_carries_on_after_the_marker_and_catches_up_before_it() -> None:
    plan = plan_for(state(resume_after="P-2", resume_since=W))

    assert keys_to_fetch(plan, LISTED, {"P-1"}) == ["P-1", "P-3", "P-4", "P-5"]
    gone = plan_for(state(resume_after="P-0", resume_since=W))
    assert keys_to_fetch(gone, LISTED, set()) == LISTED  # marker left the scope: start over


def test_full_fetches_everything_listed() -> None:
    assert keys_to_fetch(plan_for(None), LISTED, set()) == LISTED


def test_the_watermark_never_passes_the_runs_start() -> None:
    started = W + timedelta(hours=1)
    assert watermark(started, W + timedelta(hours=3), W) == started  # changes during the run
    assert watermark(started, W - timedelta(days=9), W) == W  # quiet site: old W holds
    assert watermark(None, W + timedelta(minutes=5), W) == W + timedelta(minutes=5)
    assert watermark(started, None, None) == started
    assert watermark(None, None, None) is None


def test_the_boundary_keeps_what_the_next_overlap_reads_again() -> None:
    seen = {"old": W - timedelta(minutes=6), "edge": W - timedelta(minutes=5), "new": W}
    assert set(boundary(seen, W, 5)) == {"edge", "new"}
    assert boundary(seen, None, 5) == {}
    assert unchanged({"new": W}, "new", W)
    assert not unchanged({"new": W}, "new", W + timedelta(seconds=1))
    assert not unchanged({}, "new", W)


def test_jql_wraps_the_scope_and_drops_its_own_order() -> None:
    jql = "project = PORT AND labels = 'order by x' ORDER BY rank DESC"
    assert base_jql(jql) == "project = PORT AND labels = 'order by x'"
    assert scope_jql("project = PORT") == "(project = PORT) ORDER BY key ASC"
    assert changed_jql("project = PORT", "2026-11-16 08:55") == (
        '(project = PORT) AND updated >= "2026-11-16 08:55" ORDER BY updated ASC'
    )
    assert keys_jql("project = PORT", ["P-1", 'P"2']) == (
        '(project = PORT) AND key in ("P-1", "P\\"2") ORDER BY key ASC'
    )


def test_the_time_literal_is_written_in_the_users_zone_with_the_overlap() -> None:
    configured = reading("America/New_York", 120, 5)
    assert (configured.zone, configured.read_back_minutes) == (ZoneInfo("America/New_York"), 5)
    assert configured.literal(W) == "2026-11-16 03:55"  # 08:55 UTC is 03:55 EST

    learned = reading(None, 60, 5)
    assert learned.literal(W) == "2026-11-16 08:55"  # +01:00, and an hour of DST margin
    assert learned.read_back_minutes == 65

    unknown = reading(None, None, 5)
    assert unknown.zone == SAFE_ZONE and unknown.literal(W) == "2026-11-15 20:55"
    assert unknown.read_back_minutes == 5 + 26 * 60


def test_the_literal_drops_seconds_so_the_boundary_minute_is_read_again() -> None:
    assert reading("UTC", None, 0).literal(W + timedelta(seconds=59)) == "2026-11-16 09:00"
