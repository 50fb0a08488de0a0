"""Guardrails: shares of active work per theme and `allocation-drift`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lpmsync.domain.findings import RuleId, Scope
from lpmsync.domain.model import UNMAPPED, Level, WorkItem
from lpmsync.domain.policies import Theme, Weighting
from lpmsync.domain.report import AllocationRow
from tests.unit.test_analysis_support import TODAY, feature, item, on, policy, run, window


def guarded(key: str, target: float | None, **kwargs: Any) -> Theme:
    theme = window(key, kwargs.pop("start", None), kwargs.pop("end", None))
    return Theme(
        theme.key, theme.name, None, target, theme.active_from, theme.active_until, theme.match
    )


def labelled(*labels: str, state: str = "Implementing", **fields: Any) -> list[WorkItem]:
    return [
        item(f"PORT-{n}", state, labels=(label,) if label else (), **fields)
        for n, label in enumerate(labels)
    ]


def drift(items: list[WorkItem], themes: list[Theme], **rule: Any) -> list[str]:
    tuned = policy(
        themes, only=[RuleId.ALLOCATION_DRIFT], rules={RuleId.ALLOCATION_DRIFT: on(**rule)}
    )
    return sorted(f.scope.theme or "" for f in run(items, tuned).findings)


@pytest.mark.parametrize(
    ("labels", "target", "tolerance", "fires"),
    [
        (("a", "a", "", ""), 0.5, 0.1, False),  # exactly on target
        (("a", "a", "a", ""), 0.5, 0.25, False),  # 75%: exactly at target + tolerance
        (("a", "a", "a", ""), 0.5, 0.2, True),  # 75% > 70%
        (("a", "", "", ""), 0.5, 0.25, False),  # 25%: exactly at target - tolerance
        (("a", "", "", ""), 0.5, 0.2, True),  # 25% < 30%
        (("", "", "", ""), 0.3, 0.1, True),  # nothing serves it
    ],
)
def test_drift_fires_only_outside_target_plus_minus_tolerance(
    labels: tuple[str, ...], target: float, tolerance: float, fires: bool
) -> None:
    assert drift(labelled(*labels), [guarded("a", target)], tolerance=tolerance) == (
        ["a"] if fires else []
    )


def test_drift_finding_carries_the_config_that_made_it_fire() -> None:
    tuned = policy([guarded("a", 0.2)], only=[RuleId.ALLOCATION_DRIFT])
    (finding,) = run(labelled("a", "a", "a", ""), tuned).findings
    assert finding.scope == Scope(level=Level.EPIC, theme="a")
    assert finding.message == "Theme a holds 75% of active epic work (count), target 20% ± 10%"
    evidence = finding.evidence
    assert evidence["target_share"] == 0.2
    assert evidence["actual_share"] == 0.75
    assert evidence["tolerance"] == 0.1
    assert evidence["direction"] == "over"
    assert evidence["weighting"] == "count"
    assert (evidence["theme_weight"], evidence["total_weight"]) == (3.0, 4.0)
    assert (evidence["theme_items"], evidence["active_items"]) == (3, 4)


def test_themes_without_a_target_have_no_guardrail() -> None:
    assert drift(labelled("a", "a", "a"), [guarded("a", None)]) == []


def test_retired_and_upcoming_themes_are_not_checked_but_still_reported() -> None:
    retired = guarded("old", 0.9, end=TODAY - timedelta(days=1))
    upcoming = guarded("new", 0.5, start=TODAY + timedelta(days=1))
    items = labelled("old", "", "", "")
    assert drift(items, [retired, upcoming]) == []
    rows = run(items, policy([retired, upcoming])).allocation
    assert rows == (
        AllocationRow("old", "Old", 0.9, 0.25, 1.0, retired=True, active=False),
        AllocationRow("new", "New", 0.5, 0.0, 0.0, retired=False, active=False),
    )


def test_a_theme_ending_today_is_still_guarded() -> None:
    assert drift(labelled("a", "", "", ""), [guarded("a", 0.9, end=TODAY)]) == ["a"]


def test_shares_count_only_active_items_of_the_allocation_level() -> None:
    items = [
        *labelled("a", ""),
        item("PORT-8", "Funnel", labels=("a",)),
        item("PORT-9", "Done", labels=("a",)),
        item("PORT-7", UNMAPPED, labels=("a",)),
        feature("F-1", labels=("a",)),
        feature("F-2", labels=("a",)),
    ]
    (row,) = run(items, policy([guarded("a", 0.5)])).allocation
    assert row.actual_share == 0.5
    by_feature = run(items, policy([guarded("a", 0.5)], allocation_level=Level.FEATURE))
    assert by_feature.allocation[0].actual_share == 1.0


def test_an_item_serving_two_themes_splits_its_weight() -> None:
    items = [item("PORT-1", labels=("a", "b")), item("PORT-2", labels=("a",))]
    rows = run(items, policy([guarded("a", 0.75), guarded("b", 0.25)])).allocation
    assert [(r.theme, r.actual_share, r.weight) for r in rows] == [
        ("a", 0.75, 1.5),
        ("b", 0.25, 0.5),
    ]


def test_estimate_weighting_and_items_missing_an_estimate() -> None:
    items = [
        item("PORT-1", labels=("a",), estimate=8.0),
        item("PORT-2", estimate=2.0),
        item("PORT-3", labels=("a",)),  # no estimate: weighs 0, noted in evidence
    ]
    themes = [guarded("a", 0.6)]
    assert drift(items, themes) == []  # by count: 2 of 3 = 67%, within 60% ± 10%
    tuned = policy(
        themes,
        only=[RuleId.ALLOCATION_DRIFT],
        rules={RuleId.ALLOCATION_DRIFT: on(weighting=Weighting.ESTIMATE)},
    )
    analysis = run(items, tuned)
    (finding,) = analysis.findings
    assert analysis.allocation[0].actual_share == 0.8  # 8 of 10, outside 60% ± 10%
    assert finding.evidence["weighting"] == "estimate"
    assert finding.evidence["missing_estimate_count"] == 1
    assert finding.evidence["missing_estimate"] == ["jira:PORT-3"]
    assert "(estimate)" in finding.message


def test_no_active_work_means_no_drift_and_zero_shares() -> None:
    analysis = run(labelled("a", state="Funnel"), policy([guarded("a", 0.5)]))
    assert analysis.findings == ()
    assert analysis.allocation[0].actual_share == 0.0


def test_narrowed_active_states_change_what_is_measured() -> None:
    items = [*labelled("a", "a"), item("PORT-9", "Reviewing")]
    assert drift(items, [guarded("a", 1.0)]) == ["a"]  # 2 of 3
    assert drift(items, [guarded("a", 1.0)], active_states=("Implementing",)) == []
