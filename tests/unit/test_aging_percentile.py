"""`aging` with `max_age_percentile`: older than that percentile of the past stays in the state."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lpmsync.analysis import analyse
from lpmsync.domain.findings import Finding, RuleId
from lpmsync.domain.model import Level, StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from tests.unit.flow_fixtures import NOW, ago, flow_policy, story

Story = tuple[WorkItem, list[StateChange]]


def _policy(percentile: int | None = 85, max_age_days: int | None = None) -> PortfolioPolicy:
    policy = flow_policy(weeks=12)
    states = tuple(
        replace(state, max_age_percentile=percentile, max_age_days=max_age_days)
        if state.name == "Implementing"
        else state
        for state in policy.states
    )
    return replace(policy, states=states)


def _past_stays(*days: float) -> list[Story]:
    """Features that spent `days` in Implementing, each stay ending 10 days ago."""
    return [
        story(f"P-{n}", [(10 + stay, "In Progress"), (10, "Done")]) for n, stay in enumerate(days)
    ]


def _aging(stories: list[Story], policy: PortfolioPolicy) -> list[Finding]:
    items = [item for item, _ in stories]
    history = [change for _, changes in stories for change in changes]
    return [f for f in analyse(items, policy, NOW, history).findings if f.rule == RuleId.AGING]


def _current(days: float) -> Story:
    item, changes = story("F-1", [(days, "In Progress")])
    return replace(item, entered_state_at=ago(days)), changes


@pytest.mark.parametrize(("days", "fires"), [(50.5, True), (50, False), (49, False)])
def test_older_than_the_85th_percentile_of_past_stays(days: float, fires: bool) -> None:
    # Nearest rank: 85% of 5 stays is the 5th (ceil 4.25), 50 days.
    found = _aging([*_past_stays(10, 20, 30, 40, 50), _current(days)], _policy())
    assert [f.subject.key for f in found if f.subject] == (["F-1"] if fires else [])
    if fires:
        evidence = found[0].evidence
        assert evidence["max_age_percentile"] == 85
        assert evidence["percentile_days"] == 50.0
        assert evidence["samples"] == 5
        assert evidence["max_age_days"] is None
        assert "longer than 85% of the stays there in the last 12 weeks (50 days)" in (
            found[0].message
        )


def test_fewer_than_five_stays_give_no_finding() -> None:
    assert _aging([*_past_stays(1, 2, 3, 4), _current(100)], _policy()) == []


def test_stays_ending_before_the_window_or_of_another_level_do_not_count() -> None:
    old = [story(f"O-{n}", [(200, "In Progress"), (100, "Done")]) for n in range(3)]
    epics = [
        story(f"E-{n}", [(20, "In Progress"), (10, "Done")], level=Level.EPIC) for n in range(3)
    ]
    stories = [*_past_stays(1, 2), *old, *epics, _current(100)]
    assert _aging(stories, _policy()) == []


def test_either_limit_fires_and_max_age_days_is_named_first() -> None:
    stories = [*_past_stays(10, 20, 30, 40, 50), _current(45)]
    (over_days,) = _aging(stories, _policy(max_age_days=40))
    assert "over its 40-day limit" in over_days.message
    assert over_days.evidence["max_age_days"] == 40
    stories = [*_past_stays(10, 20, 30, 40, 50), _current(55)]
    (over_stays,) = _aging(stories, _policy(max_age_days=60))
    assert "longer than 85%" in over_stays.message
