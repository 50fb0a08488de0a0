"""Properties that hold for any portfolio (hypothesis)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lpmsync.analysis import analyse
from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import UNMAPPED, ItemRef, Level, WorkItem
from lpmsync.domain.policies import MatchKind, MatchRule, PortfolioPolicy, Theme
from tests.unit.test_analysis_support import (
    NOW,
    STATE_NAMES,
    TODAY,
    item,
    limit,
    policy,
    states,
)

SOURCES = ("jira", "ado")
KEYS = tuple(f"K-{n}" for n in range(12))
LABELS = ("cx", "data", "old", "soon", "noise")


def _theme(key: str, **window: Any) -> Theme:
    return Theme(key, key.upper(), match=(MatchRule(MatchKind.LABEL, (key,)),), **window)


POLICY: PortfolioPolicy = policy(
    (
        _theme("cx", target_share=0.4),
        _theme("data", target_share=0.3),
        _theme("old", active_until=TODAY - timedelta(days=1), target_share=0.2),
        _theme("soon", active_from=TODAY + timedelta(days=1)),
    ),
    kanban=states(
        Analyzing={"limits": (limit(min=1),), "max_age_days": 20},
        Ready={"limits": (limit(max=2), limit(Level.FEATURE, max=3)), "max_age_days": 30},
        Implementing={
            "limits": (limit(max=3), limit(Level.FEATURE, max=2, value_stream="A")),
            "max_age_days": 40,
        },
    ),
)

wsjf_values = st.one_of(st.none(), st.integers(0, 10).map(float))


@st.composite
def work_items(draw: st.DrawFn) -> WorkItem:
    source = draw(st.sampled_from(SOURCES))
    level = draw(st.sampled_from(list(Level)))
    parent = draw(st.one_of(st.none(), st.tuples(st.sampled_from(SOURCES), st.sampled_from(KEYS))))
    return item(
        draw(st.sampled_from(KEYS)),
        draw(st.sampled_from((*STATE_NAMES, UNMAPPED))),
        level,
        source=source,
        parent=ItemRef(*parent) if parent else None,
        labels=tuple(draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True))),
        value_stream=draw(st.sampled_from((None, "A", "B"))),
        days_in_state=draw(st.one_of(st.none(), st.integers(0, 60))),
        updated_days_ago=draw(st.integers(0, 60)),
        estimate=draw(st.one_of(st.none(), st.integers(0, 13).map(float))),
        wsjf=draw(st.tuples(wsjf_values, wsjf_values, wsjf_values, wsjf_values)),
    )


def portfolios() -> st.SearchStrategy[list[WorkItem]]:
    # Unique by source and key, as the store guarantees.
    return st.lists(work_items(), max_size=40, unique_by=lambda made: (made.source, made.key))


@settings(max_examples=60, deadline=None)
@given(portfolios(), st.randoms(use_true_random=False))
def test_findings_and_aggregates_do_not_depend_on_input_order(
    items: list[WorkItem], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    first, second = analyse(items, POLICY, NOW), analyse(shuffled, POLICY, NOW)
    assert first.findings == second.findings
    assert first.allocation == second.allocation
    assert first.wip == second.wip
    assert first.oldest == second.oldest
    assert first.unmapped == second.unmapped
    assert dict(first.assignments) == dict(second.assignments)
    assert (first.alignment_rate, first.active_count) == (
        second.alignment_rate,
        second.active_count,
    )


@settings(max_examples=60, deadline=None)
@given(portfolios())
def test_every_active_item_is_aligned_or_flagged(items: list[WorkItem]) -> None:
    analysis = analyse(items, POLICY, NOW)
    flagged = {
        (f.subject.source, f.subject.key)
        for f in analysis.findings
        if f.subject and f.rule in (RuleId.UNALIGNED, RuleId.RETIRED_THEME)
    }
    for made in items:
        if made.state not in POLICY.active_states:
            continue
        themes = analysis.assignments[made.ref].themes
        aligned = any(theme in ("cx", "data") for theme in themes)
        assert aligned != ((made.source, made.key) in flagged)


@settings(max_examples=60, deadline=None)
@given(portfolios())
def test_wip_breach_fires_iff_count_exceeds_the_limit(items: list[WorkItem]) -> None:
    analysis = analyse(items, POLICY, NOW)
    breached = {
        (f.scope.state, f.scope.level, f.scope.value_stream)
        for f in analysis.findings
        if f.rule == RuleId.WIP_BREACH
    }
    for row in analysis.wip:
        if row.limit is None:
            continue
        members = [
            made
            for made in items
            if made.state == row.state
            and made.level is row.level
            and (row.value_stream is None or made.value_stream == row.value_stream)
        ]
        assert row.count == len(members)
        assert ((row.state, row.level, row.value_stream) in breached) == (row.count > row.limit)


@settings(max_examples=60, deadline=None)
@given(portfolios())
def test_fingerprints_are_deterministic_and_distinct(items: list[WorkItem]) -> None:
    once, again = analyse(items, POLICY, NOW), analyse(items, POLICY, NOW)
    assert [f.fingerprint for f in once.findings] == [f.fingerprint for f in again.findings]
    assert len({f.fingerprint for f in once.findings}) == len(once.findings)
    assert all(len(f.fingerprint) == 64 for f in once.findings)
    assert [(f.rule, f.fingerprint) for f in once.findings] == sorted(
        (f.rule, f.fingerprint) for f in once.findings
    )


@settings(max_examples=40, deadline=None)
@given(portfolios(), st.integers(1, 30))
def test_fingerprints_survive_the_passing_of_time(items: list[WorkItem], days: int) -> None:
    # Days in state and days since update grow; a condition that persists keeps its fingerprint.
    now, later = analyse(items, POLICY, NOW), analyse(items, POLICY, NOW + timedelta(days=days))
    persisting = {(f.rule, f.fingerprint) for f in now.findings} & {
        (f.rule, f.fingerprint) for f in later.findings
    }
    time_free = {
        (f.rule, f.fingerprint)
        for f in now.findings
        # These depend on the date by design (ages grow, theme windows open and close).
        if f.rule
        not in (
            RuleId.AGING,
            RuleId.STALE,
            RuleId.RETIRED_THEME,
            RuleId.UNALIGNED,
            RuleId.ALLOCATION_DRIFT,
        )
    }
    assert time_free <= persisting
