"""`aging`, `stale` and the oldest items per state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lpmsync.analysis.aging import oldest
from lpmsync.analysis.build import build_context
from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import Level, StateChange
from tests.unit.test_analysis_support import (
    NOW,
    feature,
    fired,
    item,
    keys_of,
    on,
    policy,
    run,
    states,
)

AGING_KANBAN = states(Implementing={"max_age_days": 10}, Ready={"max_age_days": 5})


@pytest.mark.parametrize(
    ("days", "state", "ages"),
    [
        (9.5, "Implementing", False),
        (10, "Implementing", False),  # exactly at the limit
        (10.01, "Implementing", True),  # a quarter of an hour over is over
        (11, "Implementing", True),
        (6, "Ready", True),
        (400, "Analyzing", False),  # no max_age_days on Analyzing
        (400, "Done", False),
        (400, "Funnel", False),
    ],
)
def test_aging_fires_past_max_age_days(days: float, state: str, ages: bool) -> None:
    analysis = run(
        [item("PORT-1", state, days_in_state=days)],
        policy(only=[RuleId.AGING], kanban=AGING_KANBAN),
    )
    assert keys_of(analysis, RuleId.AGING) == (["PORT-1"] if ages else [])


def test_aging_finding_evidence() -> None:
    analysis = run(
        [item("PORT-1", days_in_state=12.5, labels=("cx",))],
        policy(only=[RuleId.AGING], kanban=AGING_KANBAN),
    )
    (finding,) = analysis.findings
    assert finding.message == (
        "Epic PORT-1 (Implementing) has been in Implementing for 12 days, over its 10-day limit"
    )
    assert finding.scope.theme == "cx"
    assert finding.evidence["max_age_days"] == 10
    assert finding.evidence["days_in_state"] == 12
    assert finding.evidence["entered_state_at"] == (NOW - timedelta(days=12.5)).isoformat()
    assert finding.evidence["entered_from"] == "entered_state_at"
    assert finding.evidence["theme_reason"] == "label `cx`"


def test_entry_date_falls_back_to_history_then_to_updated() -> None:
    from_history = item("PORT-1", days_in_state=None, status="In Progress", updated_days_ago=1)
    from_updated = item("PORT-2", days_in_state=None, updated_days_ago=30)
    history = [
        StateChange("jira", "PORT-1", NOW - timedelta(days=40), "Ready", "In Progress"),
        StateChange("jira", "PORT-1", NOW - timedelta(days=20), "In Progress", "Blocked"),
        StateChange("jira", "PORT-1", NOW - timedelta(days=15), "Blocked", "In Progress"),
        StateChange("jira", "PORT-2", NOW - timedelta(days=90), "Ready", "Elsewhere"),
    ]
    analysis = run(
        [from_history, from_updated], policy(only=[RuleId.AGING], kanban=AGING_KANBAN), history
    )
    by_key = {f.subject.key: f.evidence for f in analysis.findings if f.subject}
    assert by_key["PORT-1"]["entered_from"] == "history"
    assert by_key["PORT-1"]["days_in_state"] == 15  # the LAST entry into its status
    assert by_key["PORT-2"]["entered_from"] == "updated"
    assert by_key["PORT-2"]["days_in_state"] == 30


def test_an_item_moving_on_gets_a_new_aging_fingerprint() -> None:
    kanban = states(Ready={"max_age_days": 5}, Implementing={"max_age_days": 5})
    tuned = policy(only=[RuleId.AGING], kanban=kanban)
    in_ready = run([item("PORT-1", "Ready", days_in_state=9)], tuned).findings
    in_impl = run([item("PORT-1", "Implementing", days_in_state=9)], tuned).findings
    later = run([item("PORT-1", "Implementing", days_in_state=19)], tuned).findings
    assert in_ready[0].fingerprint != in_impl[0].fingerprint
    assert in_impl[0].fingerprint == later[0].fingerprint  # days change, the condition stays


def test_aging_respects_narrowed_states_and_levels() -> None:
    items = [
        item("PORT-1", days_in_state=50),
        feature("F-1", days_in_state=50),
        item("PORT-2", "Ready", days_in_state=50),
    ]
    narrowed = policy(
        only=[RuleId.AGING],
        kanban=AGING_KANBAN,
        rules={RuleId.AGING: on(active_states=("Implementing",), levels=(Level.FEATURE,))},
    )
    assert keys_of(run(items, narrowed), RuleId.AGING) == ["F-1"]


@pytest.mark.parametrize(
    ("days", "state", "stale"),
    [
        (29, "Implementing", False),
        (30, "Implementing", False),  # exactly stale_after_days: not yet
        (31, "Implementing", True),
        (31, "Reviewing", True),
        (300, "Funnel", False),
        (300, "Done", False),  # done work is not stale
        (300, "unmapped", False),
    ],
)
def test_stale(days: float, state: str, stale: bool) -> None:
    analysis = run([item("PORT-1", state, updated_days_ago=days)], policy(only=[RuleId.STALE]))
    assert keys_of(analysis, RuleId.STALE) == (["PORT-1"] if stale else [])


def test_stale_threshold_is_tunable_and_in_the_evidence() -> None:
    tuned = policy(only=[RuleId.STALE], rules={RuleId.STALE: on(stale_after_days=7)})
    (finding,) = run([item("PORT-1", updated_days_ago=8)], tuned).findings
    assert finding.evidence["stale_after_days"] == 7
    assert finding.evidence["days_since_update"] == 8
    assert finding.message == (
        "Epic PORT-1 (Implementing) has not been updated for 8 days (stale after 7)"
    )
    assert fired(run([item("PORT-1", updated_days_ago=8)], policy(only=[])), RuleId.STALE) == []


def test_oldest_items_per_active_state_oldest_first() -> None:
    items = [
        item("PORT-1", days_in_state=3),
        item("PORT-2", days_in_state=30, labels=("cx",), value_stream="Payments"),
        feature("F-1", days_in_state=10),
        item("PORT-3", "Ready", days_in_state=1),
        item("PORT-4", "Done", days_in_state=900),
    ]
    oldest = run(items, policy(only=[])).oldest
    assert list(oldest) == ["Reviewing", "Analyzing", "Ready", "Implementing"]
    assert [age.key for age in oldest["Implementing"]] == ["PORT-2", "F-1", "PORT-1"]
    first = oldest["Implementing"][0]
    assert (first.days, first.theme, first.value_stream, first.level) == (
        30,
        "cx",
        "Payments",
        Level.EPIC,
    )
    assert oldest["Reviewing"] == ()


def test_oldest_breaks_ties_at_the_cut_off_date_on_source_and_key() -> None:
    # Twelve items, five entered on the same day: the ones that make the first ten are chosen by
    # source and key among the tied, however the input is ordered.
    tied = [
        item(f"T-{n}", days_in_state=50, source=source)
        for n, source in zip((5, 1, 4, 2, 3), ("b", "b", "a", "a", "b"), strict=True)
    ]
    older = [item(f"O-{n}", days_in_state=60 + n) for n in range(7)]
    for items in (tied + older, older[::-1] + tied[::-1]):
        oldest = run(items, policy(only=[])).oldest["Implementing"]
        assert [f"{age.source}:{age.key}" for age in oldest] == [
            *(f"jira:O-{n}" for n in reversed(range(7))),
            "a:T-2",
            "a:T-4",
            "b:T-1",
        ]


def test_oldest_and_aging_read_the_fallback_dates_when_some_items_lack_entered_state_at() -> None:
    items = [
        item("PORT-1", days_in_state=None, updated_days_ago=40),
        item("PORT-2", days_in_state=12),
        item("PORT-3", days_in_state=3),
        item("PORT-4", days_in_state=None, updated_days_ago=2),
    ]
    analysis = run(items, policy(only=[RuleId.AGING], kanban=AGING_KANBAN))
    assert keys_of(analysis, RuleId.AGING) == ["PORT-1", "PORT-2"]
    assert [age.key for age in analysis.oldest["Implementing"]] == [
        "PORT-1",
        "PORT-2",
        "PORT-3",
        "PORT-4",
    ]
    assert analysis.oldest["Implementing"][0].since_source == "updated"


def test_oldest_with_no_room_lists_nothing() -> None:
    ctx = build_context([item("PORT-1"), item("PORT-2")], policy(only=[]), NOW, ())
    assert oldest(ctx, per_state=0)["Implementing"] == ()
    assert [age.key for age in oldest(ctx, per_state=1)["Implementing"]] == ["PORT-1"]
