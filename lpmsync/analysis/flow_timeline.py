"""One item's Kanban states over time, rebuilt from its stored status changes.

A timeline is two parallel lists, `times` (when each state was entered, ascending, in integer
microseconds since the epoch as the `History` columns hold them) and `states`, consecutive moves
into the same state merged (two tracker statuses mapped to one state are one state). Its first
move is where knowledge begins: the item's creation when the history is complete, else the
first instant the history or `entered_state_at` vouches for; before that, the item's state is
unknown. Plain lists, not an object per item: 100,000 items are rebuilt per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from lpmsync.domain.history import EPOCH, MICROSECOND, NAIVE_EPOCH, NO_STATUS, History
from lpmsync.domain.model import UNMAPPED, WorkItem

StatusMap = Mapping[str, str]
Timeline = tuple[list[int], list[str]]


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


class Clock:
    """Datetimes <-> the history's integer microseconds, on `now`'s side of naive/aware."""

    def __init__(self, now: datetime) -> None:
        self._epoch = NAIVE_EPOCH if now.tzinfo is None else EPOCH

    def micros(self, instant: datetime) -> int:
        return (instant - self._epoch) // MICROSECOND

    def datetime(self, micros: int) -> datetime:
        return self._epoch + micros * MICROSECOND


class Timelines:
    """Builds timelines from one `History`; `states` maps each status code of the history to
    its Kanban state for the source at hand (see `states_of`)."""

    def __init__(self, history: History, clock: Clock) -> None:
        self._at, self._from, self._to = history.at, history.from_status, history.to_status
        self._statuses = history.statuses
        self._clock = clock

    def states_of(self, state_of: StateOf) -> list[str]:
        """Status code -> Kanban state through one source's mapping."""
        return [state_of[status] for status in self._statuses]

    def unmoved_since(
        self, first: int, end: int, states: Sequence[str], start: int, state: str
    ) -> bool:
        """Whether the item's latest change (the first of changes tied on it) came before
        `start` and led into `state`."""
        at = self._at
        last = end - 1
        while last > first and at[last - 1] == at[last]:
            last -= 1
        return at[last] < start and states[self._to[last]] == state

    def build(
        self, item: WorkItem, created: int, first: int, end: int, states: Sequence[str]
    ) -> Timeline | None:
        """The item's timeline from its changes `first` to `end` (`created`: its creation in
        microseconds), or None when its history contradicts its current state (the last change
        leads elsewhere and nothing dates the move into the current one)."""
        since = item.entered_state_at
        if first == end:
            start = created if since is None or since <= item.created else self._micros(since)
            return [start], [item.state]
        times: list[int] = []
        kept: list[str] = []
        at = self._at
        code = self._from[first]
        last = None
        if code != NO_STATUS:  # the state it was created in
            at_first = at[first]
            times.append(created if created < at_first else at_first)
            last = states[code]
            kept.append(last)
        # A plain loop: histories are a handful of changes, too short for C-level maps to pay off.
        for position in range(first, end):
            state = states[self._to[position]]
            if state != last:
                times.append(at[position])
                kept.append(state)
                last = state
        if last != item.state:
            if since is None:
                return None
            entered = self._micros(since)
            if entered <= times[-1]:
                return None
            times.append(entered)
            kept.append(item.state)
        return times, kept

    def _micros(self, instant: datetime) -> int:
        return self._clock.micros(instant)
