"""`orphan-feature`, `theme-mismatch` and `premature-start` across epics and features."""

from __future__ import annotations

import pytest

from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import ItemRef, WorkItem
from lpmsync.domain.policies import MatchKind, MatchRule, Theme
from tests.unit.test_analysis_support import feature, fired, item, keys_of, on, policy, run

HIERARCHY = [RuleId.ORPHAN_FEATURE, RuleId.THEME_MISMATCH, RuleId.PREMATURE_START]


@pytest.mark.parametrize(
    ("items", "orphans"),
    [
        ([feature("F-1")], ["F-1"]),
        ([feature("F-1", parent="PORT-404")], ["F-1"]),  # the parent is not in the portfolio
        ([feature("F-0"), feature("F-1", parent="F-0")], ["F-0", "F-1"]),  # parent not an epic
        ([item("PORT-1"), feature("F-1", parent="PORT-1")], []),
        ([item("500", source="ado"), feature("F-1", parent=ItemRef("ado", "500"))], []),
        ([item("PORT-1", source="ado"), feature("F-1", parent="PORT-1")], ["F-1"]),  # wrong source
        ([feature("F-1", "Funnel"), feature("F-2", "Done")], []),  # not active
        ([item("PORT-1")], []),  # an epic with no features is fine
    ],
)
def test_orphan_feature(items: list[WorkItem], orphans: list[str]) -> None:
    analysis = run(items, policy(only=[RuleId.ORPHAN_FEATURE]))
    assert keys_of(analysis, RuleId.ORPHAN_FEATURE) == orphans


def test_orphan_evidence_says_what_is_missing() -> None:
    analysis = run(
        [feature("F-1"), feature("F-2", parent=ItemRef("ado", "9"))],
        policy(only=[RuleId.ORPHAN_FEATURE]),
    )
    by_key = {f.subject.key: f for f in analysis.findings if f.subject}
    assert by_key["F-1"].message == "Feature F-1 (Implementing) has no parent epic"
    assert by_key["F-1"].evidence["parent"] is None
    assert by_key["F-2"].message == (
        "Feature F-2 (Implementing) has parent ado:9, which is not in the portfolio"
    )
    assert by_key["F-2"].evidence["parent"] == "ado:9"
    assert by_key["F-2"].evidence["parent_found"] is False


@pytest.mark.parametrize(
    ("epic_labels", "feature_labels", "mismatch"),
    [
        (("cx",), ("platform-label",), False),  # the feature matches nothing: it inherits
        (("cx",), ("cx",), False),
        (("cx",), ("data",), True),
        (("cx", "data"), ("data",), False),  # overlapping sets do not differ
        ((), ("data",), False),  # nothing to compare with
    ],
)
def test_theme_mismatch(
    epic_labels: tuple[str, ...], feature_labels: tuple[str, ...], mismatch: bool
) -> None:
    data = Theme("data", "Data", match=(MatchRule(MatchKind.LABEL, ("data",)),))
    cx = Theme("cx", "CX", match=(MatchRule(MatchKind.LABEL, ("cx",)),))
    items = [
        item("PORT-1", labels=epic_labels),
        feature("F-1", parent="PORT-1", labels=feature_labels),
    ]
    analysis = run(items, policy([cx, data], only=[RuleId.THEME_MISMATCH]))
    assert keys_of(analysis, RuleId.THEME_MISMATCH) == (["F-1"] if mismatch else [])
    if mismatch:
        (finding,) = analysis.findings
        assert finding.scope.theme == "data"
        assert finding.evidence["epic"] == "jira:PORT-1"
        assert finding.evidence["epic_themes"] == ["cx"]
        assert finding.evidence["theme_reason"] == "label `data`"
        assert "its epic PORT-1 serves cx" in finding.message


def test_theme_mismatch_across_sources() -> None:
    items = [
        item("500", source="ado", labels=("cx",)),
        feature("F-1", parent=ItemRef("ado", "500"), components=("Core",)),
    ]
    (finding,) = run(items, policy(only=[RuleId.THEME_MISMATCH])).findings
    assert finding.evidence["epic"] == "ado:500"
    assert "its epic ado:500 serves cx" in finding.message


@pytest.mark.parametrize(
    ("epic_state", "feature_state", "premature"),
    [
        ("Funnel", "Implementing", True),
        ("Reviewing", "Implementing", True),
        ("Analyzing", "Implementing", True),  # not yet PAST Analyzing
        ("Ready", "Implementing", False),
        ("Implementing", "Implementing", False),
        ("Done", "Implementing", False),
        ("Reviewing", "Ready", False),  # the feature has not started
        ("unmapped", "Implementing", False),  # the epic's state is unknown: no judgement
    ],
)
def test_premature_start(epic_state: str, feature_state: str, premature: bool) -> None:
    items = [item("PORT-1", epic_state), feature("F-1", feature_state, parent="PORT-1")]
    analysis = run(items, policy(only=[RuleId.PREMATURE_START]))
    assert keys_of(analysis, RuleId.PREMATURE_START) == (["F-1"] if premature else [])


def test_premature_start_with_tuned_states_and_an_epic_in_another_source() -> None:
    tuned = policy(
        only=[RuleId.PREMATURE_START],
        rules={RuleId.PREMATURE_START: on(start_state="Ready", approved_state="Reviewing")},
    )
    items = [
        item("500", "Reviewing", source="ado"),
        feature("F-1", "Ready", parent=ItemRef("ado", "500")),
        feature("F-2", "Implementing", parent=ItemRef("ado", "500")),
    ]
    (finding,) = fired(run(items, tuned), RuleId.PREMATURE_START)
    assert finding.subject is not None
    assert finding.subject.key == "F-1"
    assert finding.message == (
        "Feature F-1 (Ready) started while its epic ado:500 is in Reviewing, not yet past Reviewing"
    )
    assert finding.evidence["epic_state"] == "Reviewing"
    assert finding.evidence["approved_state"] == "Reviewing"


def test_disabled_hierarchy_rules_stay_silent() -> None:
    items = [item("PORT-1", "Funnel", labels=("cx",)), feature("F-1", components=("Core",))]
    assert run(items, policy(only=[])).findings == ()
    assert len(run(items, policy(only=HIERARCHY)).findings) == 1  # F-1 is an orphan
