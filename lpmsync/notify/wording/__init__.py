"""What an alert says, per rule, in a portfolio manager's words. Pure: stdlib and domain only.

`word(finding, names)` turns a finding into a headline (what), why it matters, the facts as a
sentence and a concrete next step: plain text (backticks mark config keys and commands), never
a raw evidence key or a Python literal. Slack, the CLI and the web board all render from it.

Add a rule by adding one function to `WORDERS`; a rule without one still reads as a sentence
(the finding's own message) with a generic next step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lpmsync.domain.findings import Finding, RuleId
from lpmsync.notify.wording import flow, items
from lpmsync.notify.wording.base import (
    RULE_TITLES,
    RULE_WHY,
    SEVERITY_RANK,
    Facts,
    ItemLink,
    Names,
    Wording,
    impact,
    priority,
    rule_title,
    severity_label,
    subject_link,
)

Worder = Callable[[Finding, Facts], Wording]

WORDERS: Mapping[str, Worder] = {
    RuleId.UNALIGNED: items.unaligned,
    RuleId.RETIRED_THEME: items.retired,
    RuleId.THEME_MISMATCH: items.mismatch,
    RuleId.ORPHAN_FEATURE: items.orphan,
    RuleId.PREMATURE_START: items.premature,
    RuleId.ALLOCATION_DRIFT: flow.allocation_drift,
    RuleId.WIP_BREACH: flow.wip_breach,
    RuleId.WIP_STARVED: flow.wip_starved,
    RuleId.AGING: flow.aging,
    RuleId.STALE: flow.stale,
    RuleId.WSJF_INVERSION: flow.wsjf_inversion,
    RuleId.FORECAST_RISK: flow.forecast_risk,
}


def word(finding: Finding, names: Names | None = None) -> Wording:
    """The finding in plain words (see the module docstring)."""
    worder = WORDERS.get(finding.rule, flow.generic)
    return worder(finding, Facts(finding, names or Names()))


__all__ = [
    "RULE_TITLES",
    "RULE_WHY",
    "SEVERITY_RANK",
    "WORDERS",
    "ItemLink",
    "Names",
    "Wording",
    "impact",
    "priority",
    "rule_title",
    "severity_label",
    "subject_link",
    "word",
]
