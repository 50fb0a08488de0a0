"""The digest's data: headline numbers, week-over-week deltas from a snapshot, the lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lpmsync.analysis.digest import AlertCounts, build_digest, digest_metrics
from lpmsync.domain.digest import Unit
from lpmsync.domain.findings import JsonValue
from tests.unit.digest_fixtures import NOW, POLICY, sample_analysis


def test_headlines_without_a_previous_snapshot_have_no_deltas() -> None:
    digest = build_digest(
        sample_analysis(), POLICY, now=NOW, alerts=AlertCounts(opened=4, resolved=2, open=6)
    )
    values = {h.key: (h.value, h.delta) for h in digest.headlines}
    assert values == {
        "active_items": (20, None),
        "alignment_rate": (0.8, None),
        "unaligned": (3, None),
        "wip_breaches": (2, None),
        "alerts_opened": (4, None),
        "alerts_resolved": (2, None),
        "open_alerts": (6, None),
        "unmapped": (2, None),
    }
    assert next(h for h in digest.headlines if h.key == "alignment_rate").unit is Unit.RATE
    assert digest.period_start == NOW - timedelta(days=7) and digest.previous_at is None


def test_deltas_come_from_the_snapshot_saved_by_the_previous_digest() -> None:
    last_week = build_digest(
        sample_analysis(unaligned=5, unmapped=0),
        POLICY,
        now=NOW - timedelta(days=7),
        alerts=AlertCounts(opened=1),
    )
    snapshot = (NOW - timedelta(days=7), digest_metrics(last_week))
    digest = build_digest(
        sample_analysis(), POLICY, now=NOW, alerts=AlertCounts(opened=4), previous=snapshot
    )
    deltas = {h.key: h.delta for h in digest.headlines}
    assert deltas["unaligned"] == -2 and deltas["unmapped"] == 2 and deltas["alerts_opened"] == 3
    assert deltas["alignment_rate"] == 0.0
    assert digest.previous_at == NOW - timedelta(days=7)
    assert {line.key: line.previous for line in digest.wip}["Implementing/epic"] == 7
    assert {a.theme: a.previous_share for a in digest.allocation}["cx"] == 0.55


def test_a_malformed_snapshot_gives_no_deltas_rather_than_wrong_ones() -> None:
    metrics: dict[str, JsonValue] = {
        "headlines": {"active_items": True, "unaligned": "3"},
        "wip": [1],
    }
    snapshot = (NOW, metrics)
    digest = build_digest(
        sample_analysis(), POLICY, now=NOW, alerts=AlertCounts(), previous=snapshot
    )
    assert all(h.delta is None for h in digest.headlines)
    assert all(line.previous is None for line in digest.wip)


def test_lists_are_cut_to_top_n_and_sorted() -> None:
    digest = build_digest(
        sample_analysis(unaligned=12, aging=9), POLICY, now=NOW, alerts=AlertCounts(), top_n=5
    )
    assert [item.key for item in digest.unaligned] == ["U-0", "U-1", "U-10", "U-11", "U-2"]
    assert digest.unaligned_total == 12
    assert [age.days for age in digest.aging] == [100, 99, 98, 97, 96]
    assert len(digest.unmapped) == 2


def test_wip_lines_keep_limits_and_drop_empty_unlimited_states() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    assert [line.key for line in digest.wip] == [
        "Analyzing/epic",
        "Implementing/epic",
        "Implementing/epic/payments",
    ]
    assert [line.over for line in digest.wip] == [False, True, True]


def test_allocation_keeps_active_and_weighted_themes_with_the_drift_tolerance() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    assert [a.theme for a in digest.allocation] == ["cx", "data", "unaligned"]
    cx, data, unaligned = digest.allocation
    assert cx.off_target and cx.tolerance == 0.10
    assert not data.off_target
    assert unaligned.unaligned and unaligned.target_share is None
    assert abs(cx.actual_share + data.actual_share + unaligned.actual_share - 1.0) < 1e-9


def test_wip_lines_are_active_states_only_and_the_week_is_the_one_covered() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    assert {line.state for line in digest.wip} <= set(POLICY.active_states)
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    weekly = build_digest(sample_analysis(), POLICY, now=monday, alerts=AlertCounts())
    assert weekly.iso_week == "2026-W46"  # 2026-11-09 → 2026-11-16 is ISO week 46


def test_allocation_trend_comes_from_the_last_four_weekly_snapshots() -> None:
    weeks = [
        (NOW, {"allocation": {"cx": share, "unaligned": 0.5}})
        for share in (0.1, 0.2, 0.3, 0.4, 0.5)
    ]
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts(), history=weeks)
    cx = digest.allocation[0]
    assert cx.trend == (0.2, 0.3, 0.4, 0.5)
    assert digest.allocation[-1].trend == (0.5, 0.5, 0.5, 0.5)
