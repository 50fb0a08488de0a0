"""Builders the analysis tests share: items, policies and rule switches in one line each.

(Named test_* only so it sits with the tests it serves; it holds a sanity test of its own.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lpmsync.analysis import analyse
from lpmsync.domain.findings import Finding, RuleId
from lpmsync.domain.model import ItemRef, Level, StateChange, WorkItem, WsjfInputs
from lpmsync.domain.policies import (
    KanbanState,
    MatchKind,
    MatchRule,
    PortfolioPolicy,
    RuleConfig,
    Theme,
    WipLimit,
)
from lpmsync.domain.report import Analysis

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
STATE_NAMES = ("Funnel", "Reviewing", "Analyzing", "Ready", "Implementing", "Done")

CX = Theme("cx", "Customer Experience", match=(MatchRule(MatchKind.LABEL, ("cx",)),))
PLATFORM = Theme("platform", "Platform", match=(MatchRule(MatchKind.COMPONENT, ("Core",)),))


def item(
    key: str,
    state: str = "Implementing",
    level: Level = Level.EPIC,
    *,
    source: str = "jira",
    parent: str | ItemRef | None = None,
    days_in_state: float | None = 1,
    updated_days_ago: float = 1,
    wsjf: tuple[float | None, float | None, float | None, float | None] | None = None,
    **fields: Any,
) -> WorkItem:
    """A work item; `parent` "PORT-1" means the same source, an ItemRef any source."""
    parent_ref = ItemRef(source, parent) if isinstance(parent, str) else parent
    entered = None if days_in_state is None else NOW - timedelta(days=days_in_state)
    return WorkItem(
        source=source,
        key=key,
        id=key,
        level=level,
        title=fields.pop("title", f"Title of {key}"),
        url=f"https://tracker.example/{source}/{key}",
        status=fields.pop("status", state),
        state=state,
        created=NOW - timedelta(days=400),
        updated=NOW - timedelta(days=updated_days_ago),
        entered_state_at=entered,
        parent=parent_ref,
        wsjf=WsjfInputs(*wsjf) if wsjf is not None else WsjfInputs(),
        **fields,
    )


def feature(key: str, state: str = "Implementing", **kwargs: Any) -> WorkItem:
    return item(key, state, Level.FEATURE, **kwargs)


def states(**overrides: Mapping[str, Any]) -> tuple[KanbanState, ...]:
    """The default Kanban; `Implementing={"limits": (...), "max_age_days": 5}` tunes a state."""
    return tuple(KanbanState(name, **overrides.get(name, {})) for name in STATE_NAMES)


def limit(level: Level = Level.EPIC, **kwargs: Any) -> WipLimit:
    return WipLimit(level, **kwargs)


def policy(
    themes: Sequence[Theme] = (CX, PLATFORM),
    *,
    only: Sequence[str] | None = None,
    rules: Mapping[str, RuleConfig] | None = None,
    kanban: tuple[KanbanState, ...] | None = None,
    **kwargs: Any,
) -> PortfolioPolicy:
    """A policy; `only` turns every other rule off, `rules` tunes some."""
    configured: dict[str, RuleConfig] = {}
    for rule in RuleId:
        config = RuleConfig(enabled=only is None or rule.value in only)
        configured[rule.value] = config
    for rule_id, config in (rules or {}).items():
        configured[rule_id] = config
    return PortfolioPolicy(
        name="Test Portfolio",
        timezone=kwargs.pop("timezone", "UTC"),
        states=kanban if kanban is not None else states(),
        themes=tuple(themes),
        rules=configured,
        **kwargs,
    )


def on(**kwargs: Any) -> RuleConfig:
    """An enabled rule with some settings tuned."""
    return replace(RuleConfig(), **kwargs)


def run(
    items: Sequence[WorkItem],
    the_policy: PortfolioPolicy,
    history: Sequence[StateChange] = (),
    now: datetime = NOW,
) -> Analysis:
    return analyse(items, the_policy, now, history)


def fired(analysis: Analysis, rule: str) -> list[Finding]:
    return [finding for finding in analysis.findings if finding.rule == rule]


def keys_of(analysis: Analysis, rule: str) -> list[str]:
    """The subject keys (or scope states) of a rule's findings, sorted."""
    return sorted(
        finding.subject.key if finding.subject else str(finding.scope.state)
        for finding in fired(analysis, rule)
    )


def window(key: str, start: date | None, end: date | None, label: str | None = None) -> Theme:
    """A theme matched by label `label` (default: its key) with an active window."""
    return Theme(
        key,
        key.title(),
        active_from=start,
        active_until=end,
        match=(MatchRule(MatchKind.LABEL, (label or key,)),),
    )


def test_builders_make_what_the_tests_assume() -> None:
    made = item("PORT-1", labels=("cx",))
    assert made.state == made.status == "Implementing"
    assert made.entered_state_at == NOW - timedelta(days=1)
    assert feature("F-1", parent="PORT-1").parent == ItemRef("jira", "PORT-1")
    assert policy(only=["aging"]).rule("stale").enabled is False
    assert policy().active_states == ("Reviewing", "Analyzing", "Ready", "Implementing")
