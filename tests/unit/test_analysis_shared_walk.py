"""The per-cell facts the checks share (`Context.epics_in`, `Context.assignments_in`): each is
computed once per run, lines up with the cell's items, and says what the per-item lookups say."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from lpmsync.analysis.build import build_context
from lpmsync.domain.model import ItemRef, Level
from tests.unit.test_analysis_support import NOW, feature, item, policy, run

EPIC = item("E-1", "Implementing", labels=("cx",))
OTHER_SOURCE_EPIC = item("E-9", "Analyzing", source="ado")
FEATURES = [
    feature("F-1", parent="E-1"),
    feature("F-2", parent=ItemRef("ado", "E-9")),
    feature("F-3", parent="GONE-1"),  # not in the portfolio
    feature("F-4", parent="F-1"),  # a feature, not an epic
    feature("F-5"),  # no parent
    feature("F-6", "Funnel", parent="E-1"),
    feature("F-7", "Done", parent="E-1"),
]


def test_epics_in_line_up_with_the_cell_and_agree_with_epic() -> None:
    ctx = build_context([EPIC, OTHER_SOURCE_EPIC, *FEATURES], policy(), NOW, ())
    for state in ("Funnel", "Implementing", "Done", "Nowhere"):
        features = ctx.cell(state, Level.FEATURE)
        assert list(ctx.epics_in(state)) == [ctx.epic(each) for each in features]
    assert [epic.key if epic else None for epic in ctx.epics_in("Implementing")] == [
        "E-1",
        "E-9",
        None,
        None,
        None,
    ]
    assert ctx.epics_in("Implementing") is ctx.epics_in("Implementing")  # computed once


def test_assignments_in_line_up_with_the_cell() -> None:
    ctx = build_context([EPIC, OTHER_SOURCE_EPIC, *FEATURES], policy(), NOW, ())
    for state in ("Funnel", "Implementing", "Analyzing"):
        for level in Level:
            members = ctx.cell(state, level)
            assert list(ctx.assignments_in(state, level)) == [ctx.assignment(m) for m in members]
    themes = [a.themes for a in ctx.assignments_in("Implementing", Level.FEATURE)]
    assert themes == [("cx",), (), (), (), ()]  # F-1 inherits from E-1


def test_a_duplicated_epic_counts_its_open_features_once_as_the_kept_copy() -> None:
    older = replace(EPIC, updated=NOW - timedelta(days=9), state="Analyzing")
    items = [older, EPIC, *FEATURES, older]
    forecasts = run(items, policy()).flow
    assert forecasts is not None
    by_key = {(f.source, f.key): f.remaining for f in forecasts.forecasts}
    # F-1 and F-6 are open under E-1 (F-7 is done, F-4's parent is a feature).
    assert by_key == {("jira", "E-1"): 2}
    ctx = build_context(items, policy(), NOW, ())
    assert ctx.epics_in("Implementing")[0] is ctx.cell("Implementing", Level.EPIC)[0]
