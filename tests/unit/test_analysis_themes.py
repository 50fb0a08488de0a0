"""Theme mapping: which themes an item serves and the reason kept with each assignment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lpmsync.analysis import ThemeStatus, analyse, theme_status
from lpmsync.analysis.themes import ThemeMapper
from lpmsync.domain.model import ItemRef, Level
from lpmsync.domain.policies import MatchKind, MatchRule, Theme
from tests.unit.test_analysis_support import TODAY, feature, item, policy, run

CX = Theme(
    "cx",
    "Customer Experience",
    match=(
        MatchRule(MatchKind.FIELD, ("CX Initiative",)),
        MatchRule(MatchKind.LABEL, ("cx", "customer-experience")),
        MatchRule(MatchKind.TAG, ("CX",)),
        MatchRule(MatchKind.COMPONENT, ("Checkout",)),
        MatchRule(MatchKind.AREA_PATH, ("Contoso\\Mobile\\*",)),
        MatchRule(MatchKind.PARENT, ("PORT-12", "ado:77")),
        MatchRule(MatchKind.TITLE_REGEX, ("(?i)onboarding",)),
    ),
)
DATA = Theme(
    "data",
    "Data Platform",
    match=(
        MatchRule(MatchKind.LABEL, ("data",)),
        MatchRule(MatchKind.AREA_PATH, ("Contoso/Data/**",)),
        MatchRule(MatchKind.TITLE_REGEX, (r"\bETL\b",)),
    ),
)
THEMES = (CX, DATA)


@pytest.mark.parametrize(
    ("fields", "themes", "reason"),
    [
        ({"theme_values": ("CX Initiative",)}, ("cx",), "field `CX Initiative`"),
        ({"theme_values": ("customer experience",)}, ("cx",), "field `customer experience`"),
        ({"theme_values": ("DATA",)}, ("data",), "field `DATA`"),
        ({"labels": ("Customer-Experience",)}, ("cx",), "label `customer-experience`"),
        ({"labels": ("cx",)}, ("cx",), "label `cx`"),
        ({"labels": ("CX",)}, ("cx",), "label `cx`"),
        ({"components": ("checkout",)}, ("cx",), "component `Checkout`"),
        ({"area_path": "Contoso\\Mobile\\Payments"}, ("cx",), "area path `Contoso\\Mobile\\*`"),
        ({"area_path": "Contoso/Mobile/App"}, ("cx",), "area path `Contoso\\Mobile\\*`"),
        ({"area_path": "contoso\\data\\lake"}, ("data",), "area path `Contoso/Data/**`"),
        ({"area_path": "Contoso\\Mobile"}, (), "no theme matched"),
        ({"parent": "PORT-12", "level": Level.FEATURE}, ("cx",), "parent `PORT-12`"),
        ({"parent": ItemRef("ado", "77"), "level": Level.FEATURE}, ("cx",), "parent `ado:77`"),
        ({"parent": ItemRef("other", "77"), "level": Level.FEATURE}, (), "no theme matched"),
        ({"title": "New ONBOARDING flow"}, ("cx",), "title matches `(?i)onboarding`"),
        ({"title": "Nightly ETL rewrite"}, ("data",), "title matches `\\bETL\\b`"),
        ({"title": "RETL"}, (), "no theme matched"),
        ({"labels": ("unrelated",)}, (), "no theme matched"),
    ],
)
def test_each_match_kind_maps_with_its_reason(
    fields: dict[str, Any], themes: tuple[str, ...], reason: str
) -> None:
    level = fields.pop("level", Level.EPIC)
    mapped = ThemeMapper(THEMES).own(item("X-1", level=level, **fields))
    assert mapped.themes == themes
    assert mapped.reason == reason


def test_explicit_field_values_win_over_every_rule() -> None:
    # The labels point at data, the field at cx: the field decides, and alone.
    mapped = ThemeMapper(THEMES).own(
        item("X-1", theme_values=("Customer Experience",), labels=("data",), title="ETL")
    )
    assert mapped.themes == ("cx",)
    assert mapped.reason == "field `Customer Experience`"


def test_an_unknown_field_value_falls_back_to_the_rules() -> None:
    mapped = ThemeMapper(THEMES).own(item("X-1", theme_values=("Nope",), labels=("data",)))
    assert mapped.themes == ("data",)


def test_the_first_rule_of_a_theme_gives_the_reason() -> None:
    # Matches cx by label (rule 2) and by title (rule 7): the earlier rule is the reason.
    mapped = ThemeMapper(THEMES).own(item("X-1", labels=("cx",), title="Onboarding"))
    assert mapped.reason == "label `cx`"
    # The title rule wins over nothing.
    assert ThemeMapper(THEMES).own(item("X-2", title="Onboarding")).reason == (
        "title matches `(?i)onboarding`"
    )


def test_an_item_may_serve_several_themes_in_configuration_order() -> None:
    mapped = ThemeMapper(THEMES).own(item("X-1", labels=("data", "cx")))
    assert mapped.themes == ("cx", "data")
    assert mapped.reasons == {"cx": "label `cx`", "data": "label `data`"}
    assert mapped.reason == "cx: label `cx`; data: label `data`"
    assert mapped.primary == "cx"


def test_items_with_equal_fields_but_different_titles_map_independently() -> None:
    mapper = ThemeMapper(THEMES)
    plain = mapper.own(item("X-1", labels=("data",), title="Plain"))
    titled = mapper.own(item("X-2", labels=("data",), title="Onboarding"))
    assert plain.themes == ("data",)
    assert titled.themes == ("cx", "data")


def test_a_feature_without_a_match_inherits_its_epics_themes() -> None:
    analysis = run(
        [item("PORT-1", labels=("cx",)), feature("F-1", parent="PORT-1")], policy(THEMES)
    )
    inherited = analysis.assignments[ItemRef("jira", "F-1")]
    assert inherited.themes == ("cx",)
    assert inherited.reason == "inherited from PORT-1"
    assert inherited.inherited_from == ItemRef("jira", "PORT-1")


def test_a_feature_whose_epic_is_in_another_source_inherits_with_a_qualified_reason() -> None:
    epic = item("500", source="ado", labels=("data",))
    child = feature("F-1", parent=ItemRef("ado", "500"))
    analysis = run([child, epic], policy(THEMES))
    assert analysis.assignments[child.ref].themes == ("data",)
    assert analysis.assignments[child.ref].reason == "inherited from ado:500"


def test_a_feature_with_its_own_match_does_not_inherit() -> None:
    analysis = run(
        [item("PORT-1", labels=("cx",)), feature("F-1", parent="PORT-1", labels=("data",))],
        policy(THEMES),
    )
    own = analysis.assignments[ItemRef("jira", "F-1")]
    assert own.themes == ("data",)
    assert own.inherited_from is None


@pytest.mark.parametrize(
    ("parent", "items_present"),
    [("PORT-404", False), ("F-0", True)],
    ids=["parent-not-synced", "parent-is-a-feature"],
)
def test_no_inheritance_without_a_parent_epic(parent: str, items_present: bool) -> None:
    others = [feature("F-0", labels=("cx",))] if items_present else []
    analysis = run([*others, feature("F-1", parent=parent)], policy(THEMES))
    assert analysis.assignments[ItemRef("jira", "F-1")].themes == ()


def test_an_epic_with_no_features_keeps_its_own_assignment() -> None:
    analysis = run([item("PORT-1", labels=("cx",))], policy(THEMES))
    assert analysis.assignments[ItemRef("jira", "PORT-1")].reason == "label `cx`"
    assert len(analysis.assignments) == 1
    assert ItemRef("jira", "PORT-1") in analysis.assignments
    assert list(analysis.assignments) == [ItemRef("jira", "PORT-1")]


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        (None, None, ThemeStatus.ACTIVE),
        (TODAY, None, ThemeStatus.ACTIVE),  # starts today
        (None, TODAY, ThemeStatus.ACTIVE),  # ends today: still active all day
        (TODAY + timedelta(days=1), None, ThemeStatus.UPCOMING),
        (None, TODAY - timedelta(days=1), ThemeStatus.RETIRED),
        (TODAY - timedelta(days=9), TODAY + timedelta(days=9), ThemeStatus.ACTIVE),
    ],
)
def test_theme_windows_are_inclusive(
    start: date | None, end: date | None, status: ThemeStatus
) -> None:
    theme = Theme("t", "T", active_from=start, active_until=end)
    assert theme_status(theme, TODAY) is status


def test_today_is_the_portfolios_date_not_utcs() -> None:
    # 23:30 UTC on the 16th is already the 17th in Berlin: a theme ending the 16th is retired.
    late = datetime(2026, 11, 16, 23, 30, tzinfo=UTC)
    ending = Theme("t", "T", active_until=date(2026, 11, 16), match=CX.match)
    epic = item("PORT-1", labels=("cx",))
    in_utc = analyse([epic], policy([ending], only=["retired-theme"]), late)
    in_berlin = analyse(
        [epic], policy([ending], only=["retired-theme"], timezone="Europe/Berlin"), late
    )
    assert in_utc.findings == ()
    assert [finding.rule for finding in in_berlin.findings] == ["retired-theme"]


def test_mapping_is_the_same_whatever_the_order_of_items() -> None:
    items = [
        feature("F-1", parent="PORT-1"),
        item("PORT-1", labels=("cx",)),
        feature("F-2", parent="PORT-1", title="ETL"),
    ]
    forward = run(items, policy(THEMES)).assignments
    backward = run(items[::-1], policy(THEMES)).assignments
    assert dict(forward) == dict(backward)


def test_assignments_behave_as_a_mapping_keyed_by_item_ref() -> None:
    assignments = run([item("PORT-1", labels=("cx",))], policy(THEMES)).assignments
    assert assignments.get(ItemRef("jira", "PORT-1")) is not None
    assert assignments.get(ItemRef("ado", "PORT-1")) is None
    assert assignments.get("PORT-1") is None  # type: ignore[call-overload]
    assert "PORT-1" not in assignments  # type: ignore[comparison-overlap]
    assert dict(assignments) == {ItemRef("jira", "PORT-1"): assignments[ItemRef("jira", "PORT-1")]}


def test_inheritance_is_the_same_whether_the_epic_comes_before_or_after_its_features() -> None:
    # The epic matches by title and parent rule only: inheritance reads the epic's own mapping.
    epic = item("PORT-1", title="Onboarding flow", parent="PORT-12")
    same_source = feature("F-1", parent="PORT-1")
    other_source = feature("9", source="ado", parent=ItemRef("jira", "PORT-1"))
    middle = feature("F-2", parent="F-1")  # a feature's feature inherits nothing
    forward = run([same_source, other_source, middle, epic], policy(THEMES)).assignments
    backward = run([epic, middle, other_source, same_source], policy(THEMES)).assignments
    assert dict(forward) == dict(backward)
    assert forward[same_source.ref].reason == "inherited from PORT-1"
    assert forward[other_source.ref].reason == "inherited from jira:PORT-1"
    assert forward[same_source.ref].themes == forward[epic.ref].themes == ("cx",)
    assert forward[middle.ref].themes == ()
