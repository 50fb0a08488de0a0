"""Hand-written histories for the flow tests: an item and its moves in one line each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lpmsync.analysis import analyse
from lpmsync.domain.flow import FlowMetrics, FlowPolicy
from lpmsync.domain.model import ItemRef, Level, StateChange, WorkItem
from lpmsync.domain.policies import KanbanState, MatchKind, MatchRule, PortfolioPolicy, Theme

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
STATES = ("Funnel", "Analyzing", "Ready", "Implementing", "Done")
STATUSES = {name: name for name in STATES} | {"In Progress": "Implementing", "Closed": "Done"}
CX = Theme("cx", "Customer Experience", match=(MatchRule(MatchKind.LABEL, ("cx",)),))
DATA = Theme("data", "Data", match=(MatchRule(MatchKind.LABEL, ("data",)),))


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def story(
    key: str,
    moves: Sequence[tuple[float, str]],
    *,
    level: Level = Level.FEATURE,
    created: float = 100,
    first_from: str | None = "Funnel",
    **fields: Any,
) -> tuple[WorkItem, list[StateChange]]:
    """An item created `created` days ago in `first_from`, then moved: (days ago, status)."""
    status = moves[-1][1] if moves else (first_from or "Funnel")
    history, previous = [], first_from
    for days, to_status in moves:
        history.append(StateChange("jira", key, ago(days), previous, to_status))
        previous = to_status
    item = WorkItem(
        source="jira",
        key=key,
        id=key,
        level=level,
        title=f"Title of {key}",
        url=f"https://tracker.example/{key}",
        status=status,
        state=STATUSES.get(status, "unmapped"),
        created=ago(created),
        updated=ago(moves[-1][0] if moves else created),
        entered_state_at=fields.pop("entered_state_at", None),
        parent=ItemRef("jira", fields.pop("parent")) if "parent" in fields else None,
        **fields,
    )
    return item, history


def flow_policy(weeks: int = 3, **flow: Any) -> PortfolioPolicy:
    return PortfolioPolicy(
        name="Flow",
        timezone=flow.pop("timezone", "UTC"),
        states=tuple(KanbanState(name) for name in STATES),
        themes=(CX, DATA),
        flow=replace(FlowPolicy(statuses={"jira": STATUSES}), window_weeks=weeks, **flow),
    )


def measure(
    stories: Sequence[tuple[WorkItem, list[StateChange]]],
    policy: PortfolioPolicy | None = None,
    now: datetime = NOW,
) -> FlowMetrics:
    items = [item for item, _ in stories]
    history = [change for _, changes in stories for change in changes]
    flow = analyse(items, policy or flow_policy(), now, history).flow
    assert flow is not None
    return flow


def day(text: str) -> date:
    return date.fromisoformat(text)
