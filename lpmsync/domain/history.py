"""State history as columns: what the store reads and the flow metrics count over.

One `StateChange` per transition means hundreds of thousands of objects (each with a datetime)
for a large portfolio; every pass over them is memory traffic. `History` holds the same
transitions as a few flat arrays instead: instants as integer microseconds since the Unix epoch,
statuses as small integer codes into `statuses`, and each item's changes as one contiguous run
(`bounds`), in time order. It is still a `Sequence[StateChange]` for the few readers that want
objects (built on demand).

Instants are exact to the microsecond and read back in UTC (or naive, when every instant given
was naive): the store holds UTC only, so a round trip changes nothing.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import floordiv, sub
from typing import overload

from lpmsync.domain.history_columns import NO_STATUS, Chunk, ColumnBuilder
from lpmsync.domain.model import StateChange

__all__ = [
    "EPOCH",
    "MICROSECOND",
    "NAIVE_EPOCH",
    "NO_STATUS",
    "History",
    "as_history",
    "last_entries",
    "to_micros",
]

ItemKey = tuple[str, str]
MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)


def to_micros(instants: Iterable[datetime], *, naive: bool = False) -> array[int]:
    """Microseconds since the epoch of each instant (C-level maps: no object per instant kept)."""
    epoch = NAIVE_EPOCH if naive else EPOCH
    return array("q", map(floordiv, map(sub, instants, repeat(epoch)), repeat(MICROSECOND)))


@dataclass(frozen=True, slots=True, eq=False)
class History(Sequence[StateChange]):
    """Transitions grouped by item: item `g` is `keys[g]` of the source whose run in `sources`
    holds `g` (`(source, first item)` pairs, ascending), and its changes are the indexes
    `bounds[g]` to `bounds[g + 1]`, ordered by `at` (ties in the order they were given).
    `from_status` is `NO_STATUS` where the change names no previous status."""

    sources: tuple[tuple[str, int], ...] = ()
    keys: tuple[str, ...] = ()
    bounds: array[int] = field(default_factory=lambda: array("q", [0]))
    at: array[int] = field(default_factory=lambda: array("q"))
    from_status: array[int] = field(default_factory=lambda: array("l"))
    to_status: array[int] = field(default_factory=lambda: array("l"))
    statuses: tuple[str, ...] = ()
    naive: bool = False

    @classmethod
    def from_changes(cls, changes: Iterable[StateChange]) -> History:
        """Any changes in any order: grouped by item (sources and items in order of first
        appearance), each item's changes stably sorted by time."""
        by_source: dict[str, dict[str, list[StateChange]]] = {}
        for change in changes:
            by_key = by_source.setdefault(change.source, {})
            found = by_key.get(change.key)
            if found is None:
                by_key[change.key] = [change]
            else:
                found.append(change)
        ordered = [
            change
            for by_key in by_source.values()
            for group in by_key.values()
            for change in sorted(group, key=_at)
        ]
        times = [change.at for change in ordered]
        naive = _all_naive(times)
        return cls.from_columns(
            [change.source for change in ordered],
            [change.key for change in ordered],
            to_micros(times, naive=naive),
            [change.from_status for change in ordered],
            [change.to_status for change in ordered],
            naive=naive,
        )

    @classmethod
    def from_columns(
        cls,
        sources: Sequence[str],
        keys: Sequence[str],
        at: Sequence[int],
        from_status: Sequence[str | None],
        to_status: Sequence[str],
        *,
        naive: bool = False,
    ) -> History:
        """Parallel columns, one entry per change (`at` in microseconds since the epoch): see
        `from_chunks`."""
        return cls.from_chunks([(sources, keys, at, from_status, to_status)], naive=naive)

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], *, naive: bool = False) -> History:
        """Columns a chunk at a time, grouped as the store reads them: each item's changes
        contiguous and in time order, each source's items contiguous. Columns that are not (an
        item or source met again later, changes out of order) are regrouped as `from_changes`
        does, so the result is the same."""
        builder = ColumnBuilder()
        for chunk in chunks:
            builder.add(chunk)
        grouped = builder.grouped()
        if grouped is None:
            return cls.from_changes(builder.changes(NAIVE_EPOCH if naive else EPOCH))
        return cls(
            sources=grouped.sources,
            keys=grouped.keys,
            bounds=grouped.bounds,
            at=grouped.at,
            from_status=grouped.from_status,
            to_status=grouped.to_status,
            statuses=grouped.statuses,
            naive=naive,
        )

    def datetime_of(self, micros: int) -> datetime:
        """An instant of this history as a datetime (UTC, or naive for a naive history)."""
        return (NAIVE_EPOCH if self.naive else EPOCH) + micros * MICROSECOND

    def item_numbers(self, source: str) -> dict[str, int]:
        """Key -> item number, for one source's items (empty for a source without history)."""
        for position, (name, first) in enumerate(self.sources):
            if name == source:
                end = self._source_end(position)
                return dict(zip(self.keys[first:end], range(first, end), strict=True))
        return {}

    def source_of(self, group: int) -> str:
        """The source of item number `group`."""
        starts = [first for _, first in self.sources]
        return self.sources[bisect_right(starts, group) - 1][0]

    def _source_end(self, position: int) -> int:
        return self.sources[position + 1][1] if position + 1 < len(self.sources) else len(self.keys)

    def __len__(self) -> int:
        return len(self.at)

    def __eq__(self, other: object) -> bool:
        """Equal to another history, or to a list or tuple of the same changes in this order
        (it stands in for the list of changes the store used to return)."""
        if isinstance(other, History):
            return self._columns() == other._columns()
        if isinstance(other, list | tuple):
            return len(other) == len(self) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside

    def _columns(self) -> tuple[object, ...]:
        return (
            self.sources,
            self.keys,
            self.bounds,
            self.at,
            self.from_status,
            self.to_status,
            self.statuses,
            self.naive,
        )

    @overload
    def __getitem__(self, index: int) -> StateChange: ...

    @overload
    def __getitem__(self, index: slice) -> list[StateChange]: ...

    def __getitem__(self, index: int | slice) -> StateChange | list[StateChange]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        group = bisect_right(self.bounds, index) - 1
        return self._change(self.source_of(group), self.keys[group], index)

    def __iter__(self) -> Iterator[StateChange]:
        bounds, keys = self.bounds, self.keys
        for position, (source, first) in enumerate(self.sources):
            for group in range(first, self._source_end(position)):
                for index in range(bounds[group], bounds[group + 1]):
                    yield self._change(source, keys[group], index)

    def _change(self, source: str, key: str, index: int) -> StateChange:
        code = self.from_status[index]
        return StateChange(
            source,
            key,
            self.datetime_of(self.at[index]),
            None if code == NO_STATUS else self.statuses[code],
            self.statuses[self.to_status[index]],
        )


def as_history(history: Sequence[StateChange]) -> History:
    """`history` as columns (itself when it already is)."""
    return history if isinstance(history, History) else History.from_changes(history)


def last_entries(history: History, wanted: Mapping[ItemKey, str]) -> dict[ItemKey, datetime]:
    """Per item of `wanted` (item -> tracker status), when it last moved into that status, where
    the history says (the first of changes tied on the latest instant)."""
    found: dict[ItemKey, datetime] = {}
    if not wanted:
        return found
    bounds, at, to_status = history.bounds, history.at, history.to_status
    codes = {name: code for code, name in enumerate(history.statuses)}
    indexes = {source: history.item_numbers(source) for source, _ in history.sources}
    for (source, key), status in wanted.items():
        index, code = indexes.get(source), codes.get(status)
        group = None if index is None or code is None else index.get(key)
        if group is None:
            continue
        latest = None
        for position in range(bounds[group], bounds[group + 1]):
            if to_status[position] == code and (latest is None or at[position] > at[latest]):
                latest = position
        if latest is not None:
            found[(source, key)] = history.datetime_of(at[latest])
    return found


def _at(change: StateChange) -> datetime:
    return change.at


def _all_naive(times: Sequence[datetime]) -> bool:
    naive = [time.tzinfo is None for time in times]
    if any(naive) and not all(naive):
        raise ValueError("a history mixes naive and timezone-aware instants")
    return bool(naive) and naive[0]
