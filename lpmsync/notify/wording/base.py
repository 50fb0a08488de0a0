"""The vocabulary of alert wording: rule titles, why each rule matters, and None-safe reads
of a finding's evidence. Pure: stdlib and domain only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lpmsync.domain.findings import Finding, JsonValue, RuleId, Severity

RULE_TITLES: Mapping[str, str] = {
    RuleId.UNALIGNED: "Work serving no active theme",
    RuleId.RETIRED_THEME: "Work on a retired theme",
    RuleId.THEME_MISMATCH: "Feature theme differs from its epic",
    RuleId.ORPHAN_FEATURE: "Feature without a parent epic",
    RuleId.PREMATURE_START: "Feature started before its epic was approved",
    RuleId.ALLOCATION_DRIFT: "Theme allocation outside its guardrail",
    RuleId.WIP_BREACH: "WIP limit exceeded",
    RuleId.WIP_STARVED: "WIP below its minimum",
    RuleId.AGING: "Item aging in its state",
    RuleId.STALE: "Item not updated for a long time",
    RuleId.WSJF_INVERSION: "Lower-WSJF work started ahead of higher-WSJF work",
    "forecast-risk": "Delivery forecast at risk",
}

RULE_WHY: Mapping[str, str] = {
    RuleId.UNALIGNED: "Work that serves no active theme spends capacity the portfolio never "
    "agreed to fund.",
    RuleId.RETIRED_THEME: "Its theme's investment window has closed, so this work no longer "
    "counts toward the current strategy.",
    RuleId.THEME_MISMATCH: "The feature and its epic count toward different themes, so the "
    "allocation guardrails read wrong.",
    RuleId.ORPHAN_FEATURE: "Work outside any epic escapes the portfolio's approval and allocation.",
    RuleId.PREMATURE_START: "Starting before the epic's go decision commits capacity the "
    "portfolio has not approved.",
    RuleId.ALLOCATION_DRIFT: "Capacity is drifting away from the investment split the "
    "portfolio agreed for its themes.",
    RuleId.WIP_BREACH: "Too much work in one state slows every item in it and hides the "
    "bottleneck.",
    RuleId.WIP_STARVED: "Too little work here leaves capacity idle and starves the next state.",
    RuleId.AGING: "Work that sits in a state long past its limit is usually blocked or "
    "forgotten, and it holds a WIP slot.",
    RuleId.STALE: "Nobody has touched it for weeks: it may be abandoned, and the portfolio's "
    "picture of it is out of date.",
    RuleId.WSJF_INVERSION: "Starting lower-priority work first delays the work with the "
    "highest cost of delay.",
    "forecast-risk": "At its current pace the work will not land by its target date.",
}

SEVERITY_LABELS: Mapping[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.WARNING: "Warning",
    Severity.INFO: "Info",
}


@dataclass(frozen=True, slots=True)
class Wording:
    """One finding in plain words. `related` are `source:key` references of other items the
    facts mention (a WIP cell's items, an epic), for the renderer to link."""

    headline: str
    why: str
    facts: str
    next_step: str
    related: tuple[str, ...] = ()
    related_label: str = "Items"


@dataclass(frozen=True, slots=True)
class ItemLink:
    """How to name and link an item: `Epic PORT-12 · Launch dashboards`."""

    source: str
    key: str
    title: str
    url: str
    kind: str = "item"  # epic, feature, …

    @property
    def name(self) -> str:
        return f"{self.kind.capitalize()} {self.key}"


@dataclass(frozen=True, slots=True)
class Names:
    """Display names the wording may use: theme key → name, `source:key` → the item."""

    themes: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, ItemLink] = field(default_factory=dict)

    def theme(self, key: str) -> str:
        return self.themes.get(key, key)

    def item(self, ref: str) -> str:
        """`PORT-12 (Launch dashboards)`, or the bare key of an item not known here."""
        link = self.items.get(ref)
        if link is None:
            return ref.partition(":")[2] or ref
        return f"{link.key} ({link.title})" if link.title else link.key


def subject_link(finding: Finding) -> ItemLink | None:
    """The item a finding is about, named by its level, key and title."""
    subject = finding.subject
    if subject is None:
        return None
    level = finding.scope.level
    kind = level.value if level is not None else "item"
    return ItemLink(subject.source, subject.key, subject.title, subject.url, kind)


_IMPACT_KEYS = (
    "over_by",
    "under_by",
    "days_in_state",
    "days_since_update",
    "higher_waiting_count",
)


def impact(finding: Finding) -> float:
    """How big the problem is, to order alerts of one severity: the size of a WIP breach, days
    of age, the distance from an allocation target; 0 when the rule has no measure."""
    evidence = finding.evidence
    if finding.rule == RuleId.ALLOCATION_DRIFT:
        actual, target = evidence.get("actual_share"), evidence.get("target_share")
        if isinstance(actual, int | float) and isinstance(target, int | float):
            return abs(float(actual) - float(target)) * 100
    for key in _IMPACT_KEYS:
        value = evidence.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


SEVERITY_RANK: Mapping[Severity, int] = {
    Severity.CRITICAL: 0,
    Severity.WARNING: 1,
    Severity.INFO: 2,
}


def priority(finding: Finding) -> tuple[int, float, str, str]:
    """Sort key: most severe first, then biggest impact, then a stable tie-break."""
    subject = finding.subject
    name = f"{subject.source}:{subject.key}" if subject else finding.fingerprint
    return (SEVERITY_RANK[finding.severity], -impact(finding), finding.rule, name)


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule.replace("-", " ").capitalize())


def severity_label(severity: Severity) -> str:
    return SEVERITY_LABELS[severity]


@dataclass(frozen=True, slots=True)
class Facts:
    """Typed, None-safe reads of a finding's evidence."""

    finding: Finding
    names: Names

    def text(self, key: str) -> str | None:
        value = self.finding.evidence.get(key)
        return value if isinstance(value, str) and value else None

    def number(self, key: str) -> float | None:
        value = self.finding.evidence.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value

    def refs(self, key: str) -> tuple[str, ...]:
        value = self.finding.evidence.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    def records(self, key: str) -> list[Mapping[str, JsonValue]]:
        value = self.finding.evidence.get(key)
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    @property
    def state(self) -> str:
        return self.finding.scope.state or self.text("state") or "its state"

    @property
    def kind(self) -> str:
        level = self.finding.scope.level
        return level.value if level is not None else "item"

    def themes(self, key: str = "themes") -> str:
        return join([self.names.theme(theme) for theme in self.refs(key)]) or "no theme"


def join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def plural(count: float, noun: str) -> str:
    return f"{count:g} {noun}{'' if count == 1 else 's'}"


def days(count: float | None) -> str:
    return "an unknown number of days" if count is None else plural(count, "day")


def iso_day(iso: str | None) -> str | None:
    return iso[:10] if iso else None
