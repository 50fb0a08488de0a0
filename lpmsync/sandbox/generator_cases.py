"""The deliberate cases: a small, fixed cast of epics and features that break each rule once.

They are planned first, against the limits in demo.yaml (Reviewing/Analyzing age 60 days,
Ready 90, Implementing 150, stale after 30 days, Analyzing `min` 3, Implementing epics at most 12).
The aggregate rules come from the filler's proportions instead (see generator_filler): allocation
drift (Platform far over its share, Market Growth far under) and the WIP breach in Implementing;
starvation holds because only one epic is ever in Analyzing.
"""

from __future__ import annotations

from collections import defaultdict

from lpmsync.domain.findings import RuleId
from lpmsync.sandbox.generator_catalog import (
    ANALYZING,
    DONE,
    FUNNEL,
    IMPLEMENTING,
    PARKED,
    READY,
    REVIEWING,
)
from lpmsync.sandbox.generator_drafts import Draft
from lpmsync.sandbox.generator_plan import Planner

UNMAPPED_CASE = "unmapped"
ADVERSARIAL_TITLE = "Stop <!channel> pings & <noisy> release alerts"
"""A title that would ping a whole channel if a renderer forgot to escape it."""

Cases = dict[str, list[Draft]]


def plan_cases(planner: Planner) -> Cases:
    """Plan every deliberate case; returns the drafts that embody each rule, by rule id."""
    cases: Cases = defaultdict(list)
    _alignment_cases(planner, cases)
    _hierarchy_cases(planner, cases)
    _flow_cases(planner, cases)
    _unmapped_cases(planner, cases)
    return cases


def _alignment_cases(p: Planner, cases: Cases) -> None:
    # unaligned: active epics with no theme at all (their features inherit nothing either)
    ready = p.epic(READY, "Data")
    p.feature(ready, ANALYZING)
    p.feature(ready, READY)
    doing = p.epic(IMPLEMENTING, "Platform", other_labels=("tech-debt",))
    p.feature(doing, IMPLEMENTING)
    p.feature(doing, DONE)
    cases[RuleId.UNALIGNED] += [ready, doing]
    # retired-theme: active epics on Legacy Retirement only (retired 2026-06-30)
    legacy_doing = p.epic(IMPLEMENTING, "Payments", theme="legacy", via="both")
    p.feature(legacy_doing, IMPLEMENTING)
    p.feature(legacy_doing, READY)
    legacy_review = p.epic(REVIEWING, "Mobile", theme="legacy", via="label")
    p.feature(legacy_review, FUNNEL)
    cases[RuleId.RETIRED_THEME] += [legacy_doing, legacy_review]
    # theme-mismatch: a Data & AI feature under a Customer Experience epic
    cx_epic = p.epic(IMPLEMENTING, "Mobile", theme="cx", via="field")
    mismatch = p.feature(cx_epic, IMPLEMENTING, theme_field="data")
    p.feature(cx_epic, IMPLEMENTING, theme_label="cx")
    p.feature(cx_epic, READY)
    cases[RuleId.THEME_MISMATCH].append(mismatch)


def _hierarchy_cases(p: Planner, cases: Cases) -> None:
    # premature-start: features In Progress under epics still in Reviewing and in the Funnel
    reviewing = p.epic(REVIEWING, "Platform", theme="platform")
    early = p.feature(reviewing, IMPLEMENTING)
    p.feature(reviewing, FUNNEL)
    funnel = p.epic(FUNNEL, "Payments", theme="growth")
    earlier = p.feature(funnel, IMPLEMENTING)
    cases[RuleId.PREMATURE_START] += [early, earlier]
    # orphan-feature: active features without a parent epic (the second is also unaligned)
    themed = p.feature(None, IMPLEMENTING, value_stream="Platform", theme_field="platform")
    bare = p.feature(None, ANALYZING, value_stream="Data")
    cases[RuleId.ORPHAN_FEATURE] += [themed, bare]
    cases[RuleId.UNALIGNED].append(bare)


def _flow_cases(p: Planner, cases: Cases) -> None:
    # aging: an epic in Reviewing for four months, a feature in Ready for over four months
    slow_epic = p.epic(REVIEWING, "Data", theme="platform", entered_age=120.0, updated_age=10.0)
    p.feature(slow_epic, FUNNEL)
    holder = p.epic(IMPLEMENTING, "Data", theme="data", entered_age=60.0)
    slow_feature = p.feature(holder, READY, entered_age=130.0, updated_age=5.0)
    p.feature(holder, IMPLEMENTING, title=ADVERSARIAL_TITLE)
    cases[RuleId.AGING] += [slow_epic, slow_feature]
    # stale: active work nobody has touched for six weeks and more
    quiet = p.epic(IMPLEMENTING, "Payments", theme="cx", entered_age=80.0, updated_age=50.0)
    quiet_feature = p.feature(quiet, IMPLEMENTING, entered_age=70.0, updated_age=45.0)
    p.feature(quiet, DONE)
    cases[RuleId.STALE] += [quiet, quiet_feature]
    # wsjf-inversion: a low-WSJF epic (0.375) is being built while a higher one (2.625) waits in
    # Ready; every other Implementing epic scores at least 3, every other Ready one below 2
    low = p.epic(IMPLEMENTING, "Mobile", theme="growth", wsjf=(1.0, 1.0, 1.0, 8.0))
    p.feature(low, IMPLEMENTING)
    high = p.epic(READY, "Mobile", theme="data", wsjf=(8.0, 8.0, 5.0, 8.0))
    p.feature(high, READY)
    p.feature(high, ANALYZING)
    cases[RuleId.WSJF_INVERSION] += [low, high]
    # wip-starved: the one epic in Analyzing (the filler never puts an epic there)
    lonely = p.epic(ANALYZING, "Platform", theme="cx")
    p.feature(lonely, FUNNEL)
    p.feature(lonely, ANALYZING)
    cases[RuleId.WIP_STARVED].append(lonely)
    # forecast-risk: an epic due in three days with four features to go (no forecast is under a
    # week); another has a target a year out, so a target date alone raises nothing
    due = p.epic(IMPLEMENTING, "Payments", theme="cx")
    due.target_in_days = 3
    for state in (IMPLEMENTING, IMPLEMENTING, READY, ANALYZING):
        p.feature(due, state)
    p.feature(due, DONE)
    relaxed = p.epic(IMPLEMENTING, "Payments", theme="cx")
    relaxed.target_in_days = 365
    p.feature(relaxed, IMPLEMENTING)
    cases[RuleId.FORECAST_RISK].append(due)


def _unmapped_cases(p: Planner, cases: Cases) -> None:
    # statuses no mapping knows: Jira "Parked", Azure DevOps "On Hold"
    parked = p.epic(PARKED, "Data", theme="data")
    p.feature(parked, FUNNEL)
    other = p.epic(PARKED, "Payments", theme="growth")
    parked_feature = p.feature(other, PARKED)
    cases[UNMAPPED_CASE] += [parked, other, parked_feature]
