"""One pass over the Kanban items and their timelines: velocity, load per state, flow time and
efficiency inputs, and what had to be left out for lack of history (see docs/report.md, `flow`).

Items that did not move since the window began (no change, no entry into their state) keep their
current state throughout it; only the others have their timeline rebuilt. Instants are the
history's integer microseconds (`flow_timeline.Clock`), so comparing and bucketing them never
touches a datetime.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from lpmsync.analysis.flow_buckets import Window
from lpmsync.analysis.flow_timeline import Clock, StateOf, Timelines
from lpmsync.domain.flow import FLOW_FIGURES, FinishedItem
from lpmsync.domain.history import History
from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.policies import PortfolioPolicy


@dataclass(slots=True)
class Finished:
    """A finished item's flow time and its active (non-wait) time, in seconds."""

    item: FinishedItem
    seconds: float
    working_seconds: float
    done: int = 0  # `item.done_at` in microseconds: cheaper to sort on


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


class FlowPass:
    """The pass itself. State names are compared as the policy's own strings; instants are
    integers and land in buckets by bisection over W sorted ends."""

    def __init__(self, policy: PortfolioPolicy, window: Window, history: History) -> None:
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
        self._clock = clock = Clock(window.now)
        self._ends = [clock.micros(end) for end in window.ends]
        self._starts_at = [clock.micros(start) for start in window.starts]
        self._start_time = window.start
        self._start, self._now = clock.micros(window.start), clock.micros(window.now)
        self._history = history
        self._timelines = Timelines(history, clock)

    def run(self, items: Sequence[WorkItem]) -> FlowTally:
        start, start_time, left_out = self._start, self._start_time, self.tally.left_out
        bounds, timelines, micros = self._history.bounds, self._timelines, self._clock.micros
        state_diffs, moved = self.tally.state_diffs, self._moved
        source, index, states = None, {}, []
        for item in items:
            if item.source != source:  # items come in runs of one source
                source = item.source
                index, states = self._history.item_numbers(source), self._codes(source)
            group = index.get(item.key)
            first, end = (0, 0) if group is None else (bounds[group], bounds[group + 1])
            since = item.entered_state_at
            if (
                item.created < start_time
                and (since is None or since < start_time)
                and (first == end or timelines.unmoved_since(first, end, states, start, item.state))
            ):  # in one state throughout the window
                diffs = state_diffs[item.level].get(item.state)
                if diffs is not None:
                    diffs[0] += 1
                continue
            created = micros(item.created)
            timeline = timelines.build(item, created, first, end, states)
            if timeline is None:
                for figure in FLOW_FIGURES:
                    left_out[figure][item.level] += 1
                continue
            moved(item, created, *timeline)
        return self.tally

    def _codes(self, source: str) -> list[str]:
        """The history's status codes -> Kanban states for `source`. A source the policy has no
        mapping for (a hand-built store) names states directly."""
        found = self._state_of.get(source)
        if found is None:
            found = self._state_of[source] = StateOf({name: name for name in self._states})
        return self._timelines.states_of(found)

    def _moved(self, item: WorkItem, created: int, times: list[int], states: list[str]) -> None:
        """Load (per active state, +1 at the first bucket end inside its stay and -1 past the
        last: prefix-summed in `states_at_ends`), then the stays and the finish, if any. One
        method: it runs for most items, and calls cost more than the work in each."""
        ends, level = self._ends, item.level
        diffs = self.tally.state_diffs[level]
        entered = times[0]
        if entered > created and bisect_left(ends, created) < bisect_left(ends, entered):
            self.tally.left_out["load"][level] += 1
        last_state = len(states) - 1
        # Stays over before the first bucket end count nowhere: start at the one open then.
        for index in range(max(bisect_right(times, ends[0]) - 1, 0), last_state + 1):
            by_state = diffs.get(states[index])
            if by_state is None:
                continue  # not an active state
            last = bisect_left(ends, times[index + 1]) if index < last_state else self._window.weeks
            entered = times[index]
            first = bisect_left(ends, entered if entered > created else created)
            if first < last:
                by_state[first] += 1
                by_state[last] -= 1
        complete = times[0] <= created
        if self._stay_states:
            self._stays(item, times, states, 0 if complete else 1)
        if self._done in states:
            self._done_in(item, times, states, complete)

    def _done_in(self, item: WorkItem, times: list[int], states: list[str], complete: bool) -> None:
        """Velocity, and flow time where the history is complete, for an item that entered done
        (its last entry counts) inside the window."""
        last = len(states) - 1
        entry = last if states[last] == self._done else last - states[::-1].index(self._done)
        finished_at = times[entry]
        if not self._start <= finished_at < self._now:
            return
        bucket = bisect_right(self._starts_at, finished_at) - 1
        self.tally.velocity[item.level][bucket] += 1
        if item.level is Level.FEATURE:
            streams = self.tally.stream_velocity
            counts = streams.get(item.value_stream)
            if counts is None:
                counts = streams[item.value_stream] = [0] * self._window.weeks
            counts[bucket] += 1
        if not complete:
            self.tally.left_out["flow_time"][item.level] += 1
            return
        self._finish(item, times, states, entry)

    def _stays(self, item: WorkItem, times: list[int], states: list[str], first: int) -> None:
        """Stays in the watched states that ended inside the window (and began where known)."""
        start, now, watched = self._start, self._now, self._stay_states
        # Only stays that ended at or after the window's start: from the one open at its start.
        for index in range(max(first, bisect_left(times, start) - 1), len(times) - 1):
            state = states[index]
            if state in watched and start <= times[index + 1] < now:
                seconds = (times[index + 1] - times[index]) / 1_000_000
                self.tally.stays.setdefault((state, item.level), []).append(seconds)

    def _finish(self, item: WorkItem, times: list[int], states: list[str], done: int) -> None:
        starts, working_states = self._starts, self._working
        for start in range(done):
            if states[start] in starts:
                break
        else:
            return
        working = 0.0  # summed in seconds, as floats: the same rounding as ever
        for index in range(start, done):
            if states[index] in working_states:
                working += (times[index + 1] - times[index]) / 1_000_000
        seconds = (times[done] - times[start]) / 1_000_000
        done_at = self._clock.datetime(times[done])
        finished = FinishedItem(item.source, item.key, item.level, done_at, seconds / 86_400)
        self.tally.finished.append(Finished(finished, seconds, working, times[done]))
