"""Building the run's context: one grouping pass over the items, the theme assignments, what
each distinct set of themes means today, and entry dates from the history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lpmsync.analysis.context import Alignment, Cell, Context, ThemeView
from lpmsync.analysis.themes import ItemKey, ThemeStatus, assign_themes, theme_status
from lpmsync.domain.history import as_history, last_entries
from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.report import ThemeAssignment


def build_context(
    items: Sequence[WorkItem],
    policy: PortfolioPolicy,
    now: datetime,
    history: Sequence[StateChange],
) -> Context:
    state_index = {state.name: index for index, state in enumerate(policy.states)}
    by_key, by_cell, outside = _group(items, state_index)
    unique = list(by_key.values())
    today = _today(now, policy.timezone)
    status = {theme.key: theme_status(theme, today) for theme in policy.themes}
    assignments = assign_themes(policy.themes, by_key)
    return Context(
        policy=policy,
        now=now,
        today=today,
        items=unique,
        by_key=by_key,
        by_cell=by_cell,
        outside=outside,
        state_index=state_index,
        assignments=assignments,
        views=_views(assignments.values(), status),
        themes={theme.key: theme for theme in policy.themes},
        status=status,
        entered=_entered(history, unique),
        splits={},
        cell_assignments={},
        cell_epics={},
    )


def _group(
    items: Sequence[WorkItem], state_index: Mapping[str, int]
) -> tuple[dict[ItemKey, WorkItem], dict[Cell, list[WorkItem]], list[WorkItem]]:
    """Items by source and key, and by Kanban state and level (the rest: outside the Kanban),
    in one pass. Of duplicates the most recently updated stays (ties broken on content), so the
    outcome does not depend on the input order."""
    by_key: dict[ItemKey, WorkItem] = {}
    by_cell: dict[Cell, list[WorkItem]] = {}
    outside: list[WorkItem] = []
    duplicates = False
    for item in items:
        kept = by_key.setdefault((item.source, item.key), item)
        if kept is not item:
            duplicates = True
            if (item.updated, repr(item)) > (kept.updated, repr(kept)):
                by_key[(item.source, item.key)] = item
            continue
        if item.state not in state_index:
            outside.append(item)
            continue
        cell = (item.state, item.level)
        members = by_cell.get(cell)
        if members is None:
            by_cell[cell] = [item]
        else:
            members.append(item)
    if duplicates:  # rare: regroup without the items that lost
        return _group(list(by_key.values()), state_index)
    return by_key, by_cell, outside


def _views(
    assignments: Iterable[ThemeAssignment], status: Mapping[str, ThemeStatus]
) -> dict[tuple[str, ...], ThemeView]:
    views: dict[tuple[str, ...], ThemeView] = {(): ThemeView(Alignment.UNALIGNED, None, ())}
    for assignment in assignments:
        themes = assignment.themes
        if themes in views:
            continue
        active = tuple(key for key in themes if status[key] is ThemeStatus.ACTIVE)
        if active:
            alignment = Alignment.ALIGNED
        elif any(status[key] is ThemeStatus.RETIRED for key in themes):
            alignment = Alignment.RETIRED
        else:
            alignment = Alignment.UNALIGNED
        views[themes] = ThemeView(alignment, active[0] if active else themes[0], active)
    return views


def _today(now: datetime, timezone: str) -> date:
    """`now`'s date in the portfolio's time zone: a theme ending today is active all day there."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(ZoneInfo(timezone)).date()


def _entered(history: Sequence[StateChange], items: Sequence[WorkItem]) -> dict[ItemKey, datetime]:
    """When each item without `entered_state_at` last moved into its current tracker status,
    where the history says (the history is only read for those items)."""
    status = {
        (item.source, item.key): item.status for item in items if item.entered_state_at is None
    }
    if not status:
        return {}
    return last_entries(as_history(history), status)
