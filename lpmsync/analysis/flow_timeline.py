"""One item's Kanban states over time, rebuilt from its stored status changes.

A timeline is a list of moves `(when, state entered)` in time order, consecutive moves into the
same state merged (two tracker statuses mapped to one state are one state). Its first move is
where knowledge begins: the item's creation when the history is complete, else the first instant
the history or `entered_state_at` vouches for; before that, the item's state is unknown.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from lpmsync.domain.model import UNMAPPED, StateChange, WorkItem

StatusMap = Mapping[str, str]
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


@dataclass(slots=True)
class Timeline:
    created: datetime
    times: list[datetime]  # when each state was entered (the first: where knowledge begins)
    states: list[str]

    @property
    def complete(self) -> bool:
        """Whether the states are known from the item's creation on."""
        return self.times[0] <= self.created

    def state_at(self, instant: datetime) -> str | None:
        """The state at `instant` (a move at that very instant has happened); None when the item
        did not exist yet. Raises LookupError when the state is unknown then."""
        if instant < self.created:
            return None
        index = bisect_right(self.times, instant) - 1
        if index < 0:
            raise LookupError(instant)
        return self.states[index]

    def last_entry(self, state: str) -> int | None:
        """Index of the last move into `state`."""
        states = self.states
        for index in range(len(states) - 1, -1, -1):
            if states[index] == state:
                return index
        return None


def build_timeline(
    item: WorkItem, changes: Sequence[StateChange] | None, state_of: StateOf
) -> Timeline | None:
    """The item's timeline, or None when its history contradicts its current state (the last
    change leads elsewhere and nothing dates the move into the current one)."""
    if not changes:
        since = item.entered_state_at
        start = item.created if since is None or since <= item.created else since
        return Timeline(item.created, [start], [item.state])
    ordered = sorted(changes, key=_AT) if len(changes) > 1 else changes
    times: list[datetime] = []
    states: list[str] = []
    first = ordered[0]
    if first.from_status is not None:  # the state it was created in
        times.append(min(item.created, first.at))
        states.append(state_of[first.from_status])
    last = states[-1] if states else None
    for change in ordered:
        state = state_of[change.to_status]
        if state != last:
            times.append(change.at)
            states.append(state)
            last = state
    if last != item.state:
        since = item.entered_state_at
        if since is None or since <= times[-1]:
            return None
        times.append(since)
        states.append(item.state)
    return Timeline(item.created, times, states)
