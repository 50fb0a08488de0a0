"""One item's Kanban states over time, rebuilt from its stored status changes.

A timeline is two parallel lists, `times` (when each state was entered, ascending) and `states`,
consecutive moves into the same state merged (two tracker statuses mapped to one state are one
state). Its first move is where knowledge begins: the item's creation when the history is
complete, else the first instant the history or `entered_state_at` vouches for; before that, the
item's state is unknown. Plain lists, not an object per item: 100,000 items are rebuilt per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter

from lpmsync.domain.model import UNMAPPED, StateChange, WorkItem

StatusMap = Mapping[str, str]
Timeline = tuple[list[datetime], list[str]]
_AT = attrgetter("at")


class StateOf(dict[str, str]):
    """Tracker status -> Kanban state for one source (`state_of[status]`): exact name first,
    then case-insensitive (Jira and Azure DevOps status names are case-insensitive); UNMAPPED
    when unknown. A dict, so a known status costs one C-level lookup."""

    def __init__(self, statuses: StatusMap) -> None:
        super().__init__(statuses)
        self._folded = {name.casefold(): state for name, state in statuses.items()}

    def __missing__(self, status: str) -> str:
        found = self[status] = self._folded.get(status.casefold(), UNMAPPED)
        return found


def build_timeline(
    item: WorkItem, changes: Sequence[StateChange] | None, state_of: StateOf
) -> Timeline | None:
    """The item's timeline, or None when its history contradicts its current state (the last
    change leads elsewhere and nothing dates the move into the current one)."""
    if not changes:
        since = item.entered_state_at
        start = item.created if since is None or since <= item.created else since
        return [start], [item.state]
    ordered = sorted(changes, key=_AT) if len(changes) > 1 else changes
    times: list[datetime] = []
    states: list[str] = []
    first = ordered[0]
    if first.from_status is not None:  # the state it was created in
        times.append(min(item.created, first.at))
        states.append(state_of[first.from_status])
    last = states[-1] if states else None
    # A plain loop: histories are a handful of changes, too short for C-level maps to pay off.
    for change in ordered:
        state = state_of[change.to_status]
        if state != last:
            times.append(change.at)
            states.append(state)
            last = state
    if states[-1] != item.state:
        since = item.entered_state_at
        if since is None or since <= times[-1]:
            return None
        times.append(since)
        states.append(item.state)
    return times, states
