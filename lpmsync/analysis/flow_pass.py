"""One pass over the Kanban items and their timelines: velocity, load per state, flow time and
efficiency inputs, and what had to be left out for lack of history (see docs/report.md, `flow`).

Items that did not move since the window began (no change, no entry into their state) keep their
current state throughout it; only the others have their timeline rebuilt.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import attrgetter

from lpmsync.analysis.flow_buckets import Window
from lpmsync.analysis.flow_timeline import StateOf, build_timeline
from lpmsync.domain.flow import FLOW_FIGURES, FinishedItem
from lpmsync.domain.model import Level, StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy

ItemKey = tuple[str, str]
_AT = attrgetter("at")
_ITEM = attrgetter("source", "key")


@dataclass(slots=True)
class Finished:
    """A finished item's flow time and its active (non-wait) time, in seconds."""

    item: FinishedItem
    seconds: float
    working_seconds: float


@dataclass(slots=True)
class FlowTally:
    weeks: int
    active: tuple[str, ...]
    velocity: dict[Level, list[int]] = field(default_factory=dict)
    stream_velocity: dict[str | None, list[int]] = field(default_factory=dict)  # features
    state_diffs: dict[Level, dict[str, list[int]]] = field(default_factory=dict)
    finished: list[Finished] = field(default_factory=list)
    left_out: dict[str, dict[Level, int]] = field(default_factory=dict)
    stays: dict[tuple[str, Level], list[float]] = field(default_factory=dict)  # seconds

    def __post_init__(self) -> None:
        for level in Level:
            self.velocity[level] = [0] * self.weeks
            self.state_diffs[level] = {state: [0] * (self.weeks + 1) for state in self.active}
        self.left_out = {figure: dict.fromkeys(Level, 0) for figure in FLOW_FIGURES}

    def states_at_ends(self) -> dict[Level, dict[str, tuple[int, ...]]]:
        """Per level and active state, the items in it at each bucket end (prefix sums)."""
        result: dict[Level, dict[str, tuple[int, ...]]] = {}
        for level, by_state in self.state_diffs.items():
            result[level] = {}
            for state, diffs in by_state.items():
                running, counts = 0, []
                for diff in diffs[: self.weeks]:
                    running += diff
                    counts.append(running)
                result[level][state] = tuple(counts)
        return result


def group_history(history: Sequence[StateChange]) -> dict[ItemKey, list[StateChange]]:
    """Changes by item. The store sends them grouped by item, so runs of one item are taken
    whole (C-level `groupby`); an item met again later (unsorted input) is extended."""
    groups: dict[ItemKey, list[StateChange]] = {}
    for key, run in groupby(history, key=_ITEM):
        found = groups.get(key)
        if found is None:
            groups[key] = list(run)
        else:
            found.extend(run)
    return groups


class FlowPass:
    """The pass itself. State names are compared as the policy's own strings; instants stay
    datetimes (exact to the microsecond) and land in buckets by bisection over W sorted ends."""

    def __init__(self, policy: PortfolioPolicy, window: Window) -> None:
        self._window = window
        self._done = policy.done_state
        self._states = [state.name for state in policy.states]
        self._active = frozenset(policy.active_states)
        flow = policy.flow
        self._starts = self._active if flow.start_state is None else frozenset({flow.start_state})
        self._working = self._active.difference(flow.wait_states)
        self._state_of = {source: StateOf(statuses) for source, statuses in flow.statuses.items()}
        self.tally = FlowTally(window.weeks, policy.active_states)
        self._stay_states = frozenset(
            state.name for state in policy.states if state.max_age_percentile is not None
        )
        self._ends = list(window.ends)
        self._starts_at = list(window.starts)
        self._start, self._now = window.start, window.now

    def run(
        self, items: Sequence[WorkItem], groups: Mapping[ItemKey, list[StateChange]]
    ) -> FlowTally:
        start, left_out = self._start, self.tally.left_out
        source, state_of = None, StateOf({})
        for item in items:
            changes = groups.get((item.source, item.key))
            if item.source != source:  # items come in runs of one source
                source, state_of = item.source, self._mapper(item.source)
            since = item.entered_state_at
            if item.created < start and (since is None or since < start):
                last = None if not changes else max(changes, key=_AT)  # the first of ties
                if last is None or (last.at < start and state_of[last.to_status] == item.state):
                    self._still(item)
                    continue
            timeline = build_timeline(item, changes, state_of)
            if timeline is None:
                for figure in FLOW_FIGURES:
                    left_out[figure][item.level] += 1
                continue
            self._moved(item, *timeline)
        return self.tally

    def _mapper(self, source: str) -> StateOf:
        """A source the policy has no mapping for (a hand-built store) names states directly."""
        found = self._state_of.get(source)
        if found is None:
            found = self._state_of[source] = StateOf({name: name for name in self._states})
        return found

    def _still(self, item: WorkItem) -> None:
        """An item in one state throughout the window."""
        diffs = self.tally.state_diffs[item.level].get(item.state)
        if diffs is not None:
            diffs[0] += 1

    def _moved(self, item: WorkItem, times: list[datetime], states: list[str]) -> None:
        self._load(item, times, states)
        complete = times[0] <= item.created
        if self._stay_states:
            self._stays(item, times, states, 0 if complete else 1)
        done = self._done
        if states[-1] == done:
            entry = len(states) - 1
        elif done in states:
            entry = len(states) - 1 - states[::-1].index(done)
        else:
            return
        finished_at = times[entry]
        if not self._start <= finished_at < self._now:
            return
        bucket = bisect_right(self._starts_at, finished_at) - 1
        self.tally.velocity[item.level][bucket] += 1
        if item.level is Level.FEATURE:
            streams = self.tally.stream_velocity
            streams.setdefault(item.value_stream, [0] * self._window.weeks)[bucket] += 1
        if not complete:
            self.tally.left_out["flow_time"][item.level] += 1
            return
        self._finish(item, times, states, entry)

    def _load(self, item: WorkItem, times: list[datetime], states: list[str]) -> None:
        """Per active state, +1 at the first bucket end inside its stay and -1 past the last
        (prefix-summed in `states_at_ends`)."""
        ends, weeks = self._ends, self._window.weeks
        diffs = self.tally.state_diffs[item.level]
        created = item.created
        if times[0] > created and bisect_left(ends, created) < bisect_left(ends, times[0]):
            self.tally.left_out["load"][item.level] += 1
        first_end = ends[0]
        for state, entered, leaving in zip(states, times, [*times[1:], None], strict=True):
            by_state = diffs.get(state)
            if by_state is None or (leaving is not None and leaving <= first_end):
                continue  # not active, or over before the first bucket end
            first = bisect_left(ends, entered if entered > created else created)
            last = weeks if leaving is None else bisect_left(ends, leaving)
            if first < last:
                by_state[first] += 1
                by_state[last] -= 1

    def _stays(self, item: WorkItem, times: list[datetime], states: list[str], first: int) -> None:
        """Stays in the watched states that ended inside the window (and began where known)."""
        start, now, watched = self._start, self._now, self._stay_states
        for index in range(first, len(times) - 1):
            state = states[index]
            if state in watched and start <= times[index + 1] < now:
                seconds = (times[index + 1] - times[index]).total_seconds()
                self.tally.stays.setdefault((state, item.level), []).append(seconds)

    def _finish(self, item: WorkItem, times: list[datetime], states: list[str], done: int) -> None:
        starts, working_states = self._starts, self._working
        start = next((index for index in range(done) if states[index] in starts), None)
        if start is None:
            return
        working = 0.0
        for index in range(start, done):
            if states[index] in working_states:
                working += (times[index + 1] - times[index]).total_seconds()
        seconds = (times[done] - times[start]).total_seconds()
        finished = FinishedItem(item.source, item.key, item.level, times[done], seconds / 86_400)
        self.tally.finished.append(Finished(finished, seconds, working))
