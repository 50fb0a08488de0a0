"""`unaligned`, `retired-theme` and the alignment rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lpmsync.domain.findings import RuleId, Scope, Severity
from lpmsync.domain.model import UNMAPPED, Level, WorkItem
from tests.unit.test_analysis_support import (
    CX,
    TODAY,
    feature,
    fired,
    item,
    keys_of,
    on,
    policy,
    run,
    window,
)

YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)
LEGACY = window("legacy", None, YESTERDAY)  # retired
ENDING = window("ending", None, TODAY)  # ends today: still active
NEXT = window("next", TOMORROW, None)  # not yet active
THEMES = (CX, LEGACY, ENDING, NEXT)
RULES = [RuleId.UNALIGNED, RuleId.RETIRED_THEME]


@pytest.mark.parametrize(
    ("labels", "state", "expected"),
    [
        ((), "Implementing", "unaligned"),
        (("cx",), "Implementing", None),
        (("legacy",), "Implementing", "retired-theme"),
        (("legacy", "cx"), "Implementing", None),  # one active theme is enough
        (("ending",), "Implementing", None),  # a theme ending today is still active
        (("next",), "Implementing", "unaligned"),  # a theme not yet begun serves nothing yet
        (("next", "legacy"), "Implementing", "retired-theme"),
        ((), "Reviewing", "unaligned"),
        ((), "Funnel", None),  # not active yet
        ((), "Done", None),  # an item entering Done leaves the check
        ((), UNMAPPED, None),  # unmapped items are hygiene, not alignment
    ],
)
def test_alignment_rules(labels: tuple[str, ...], state: str, expected: str | None) -> None:
    analysis = run([item("PORT-1", state, labels=labels)], policy(THEMES, only=RULES))
    assert [finding.rule for finding in analysis.findings] == ([expected] if expected else [])


def test_unaligned_finding_says_why_and_routes_on_value_stream() -> None:
    analysis = run(
        [item("PORT-1", labels=("next",), value_stream="Payments")], policy(THEMES, only=RULES)
    )
    (finding,) = analysis.findings
    assert finding.severity is Severity.WARNING
    assert finding.message == "Epic PORT-1 (Implementing) serves no active theme"
    assert finding.scope == Scope("Implementing", Level.EPIC, "Payments", "next")
    assert finding.subject is not None
    assert finding.subject.key == "PORT-1"
    assert finding.evidence["theme_reason"] == "label `next`"
    assert finding.evidence["upcoming_themes"] == [
        {"theme": "next", "name": "Next", "active_from": TOMORROW.isoformat(), "active_until": None}
    ]


def test_retired_theme_finding_names_the_window_and_routes_on_the_theme() -> None:
    analysis = run([item("PORT-1", labels=("legacy",))], policy(THEMES, only=RULES))
    (finding,) = fired(analysis, RuleId.RETIRED_THEME)
    assert finding.scope.theme == "legacy"
    assert finding.message == "Epic PORT-1 (Implementing) serves only retired themes (legacy)"
    assert finding.evidence["retired_themes"] == [
        {
            "theme": "legacy",
            "name": "Legacy",
            "active_from": None,
            "active_until": YESTERDAY.isoformat(),
        }
    ]


def test_inherited_themes_align_a_feature_and_the_reason_says_so() -> None:
    items = [item("PORT-1", labels=("cx",)), feature("F-1", parent="PORT-1")]
    analysis = run(items, policy(THEMES, only=RULES))
    assert analysis.findings == ()
    assert analysis.alignment_rate == 1.0


def test_disabled_rules_do_not_fire() -> None:
    items = [item("PORT-1"), item("PORT-2", labels=("legacy",))]
    assert run(items, policy(THEMES, only=[])).findings == ()
    only_unaligned = run(items, policy(THEMES, only=[RuleId.UNALIGNED]))
    assert keys_of(only_unaligned, RuleId.UNALIGNED) == ["PORT-1"]
    assert fired(only_unaligned, RuleId.RETIRED_THEME) == []


def test_active_states_and_levels_narrow_a_rule() -> None:
    items = [
        item("PORT-1", "Reviewing"),
        item("PORT-2", "Implementing"),
        feature("F-1", "Implementing"),
    ]
    narrowed = policy(
        THEMES,
        only=RULES,
        rules={
            RuleId.UNALIGNED: on(active_states=("Implementing",), levels=(Level.EPIC,)),
        },
    )
    assert keys_of(run(items, narrowed), RuleId.UNALIGNED) == ["PORT-2"]
    # Narrowing one rule does not change what "active" means for the alignment rate.
    assert run(items, narrowed).active_count == 3


def test_severity_comes_from_the_rule_config() -> None:
    tuned = policy(THEMES, only=RULES, rules={RuleId.UNALIGNED: on(severity=Severity.CRITICAL)})
    (finding,) = run([item("PORT-1")], tuned).findings
    assert finding.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("items", "rate", "active"),
    [
        ([], 1.0, 0),
        ([item("PORT-1", "Funnel"), item("PORT-2", "Done")], 1.0, 0),
        ([item("PORT-1", labels=("cx",)), item("PORT-2")], 0.5, 2),
        ([item("PORT-1", labels=("legacy",)), item("PORT-2", labels=("ending",))], 0.5, 2),
        ([item("PORT-1", labels=("cx",)), item("PORT-2", UNMAPPED)], 1.0, 1),
    ],
)
def test_alignment_rate_is_over_active_items(
    items: list[WorkItem], rate: float, active: int
) -> None:
    analysis = run(items, policy(THEMES))
    assert analysis.alignment_rate == rate
    assert analysis.active_count == active


def test_unmapped_items_are_listed_and_counted_nowhere_else() -> None:
    odd = item("PORT-9", UNMAPPED, status="Blocked (legacy)")
    stray = item("PORT-8", "Archived")  # a state the Kanban no longer has
    analysis = run([odd, stray, item("PORT-1", labels=("cx",))], policy(THEMES))
    assert [(u.source, u.key, u.status) for u in analysis.unmapped] == [
        ("jira", "PORT-8", "Archived"),
        ("jira", "PORT-9", "Blocked (legacy)"),
    ]
    assert analysis.items_count == 3
    assert sum(row.count for row in analysis.wip) == 1
    assert all(
        finding.subject is None or finding.subject.key == "PORT-1" for finding in analysis.findings
    )
