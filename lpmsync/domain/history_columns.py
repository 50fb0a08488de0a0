"""Building `History` columns chunk by chunk, as the store reads its rows.

Each chunk is five parallel columns (source, key, instant in microseconds, from status, to
status), one entry per change; only the integers and codes are kept, so a reader that fetches
rows a chunk at a time never holds every row's strings at once. Columns are expected grouped as
the store's query orders them (each item's changes contiguous and in time order, each source's
items contiguous); `grouped` says when they are not, and the caller regroups.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import compress
from operator import lt, ne, or_

from lpmsync.domain.model import StateChange

NO_STATUS = -1
"""The `from_status` code of a change that names no previous status (the item's first)."""

Chunk = tuple[Sequence[str], Sequence[str], Sequence[int], Sequence[str | None], Sequence[str]]


@dataclass(frozen=True, slots=True)
class Grouped:
    """The columns of a `History` (see there), grouped."""

    sources: tuple[tuple[str, int], ...]
    keys: tuple[str, ...]
    bounds: array[int]
    at: array[int]
    from_status: array[int]
    to_status: array[int]
    statuses: tuple[str, ...]


class ColumnBuilder:
    def __init__(self) -> None:
        self._codes = _Codes({None: NO_STATUS})
        self._at: array[int] = array("q")
        self._from: array[int] = array("l")
        self._to: array[int] = array("l")
        self._starts: list[int] = []  # where each item's changes begin
        self._sources: list[str] = []  # per item
        self._keys: list[str] = []  # per item

    def add(self, chunk: Chunk) -> None:
        sources, keys, at, from_status, to_status = chunk
        if not keys:
            return
        offset = len(self._at)
        starts = _run_starts(sources, keys)
        if self._keys and (self._sources[-1], self._keys[-1]) == (sources[0], keys[0]):
            starts = starts[1:]  # the previous chunk's last item goes on
        self._starts += [offset + start for start in starts]
        self._sources += map(sources.__getitem__, starts)
        self._keys += map(keys.__getitem__, starts)
        self._at.extend(at)
        self._to.extend(map(self._codes.__getitem__, to_status))
        self._from.extend(map(self._codes.__getitem__, from_status))

    def grouped(self) -> Grouped | None:
        """The columns, or None when they were not grouped as expected."""
        runs = _runs(self._sources)
        if runs is None or _repeats(runs, self._keys) or _out_of_order(self._at, self._starts):
            return None
        return Grouped(
            sources=runs,
            keys=tuple(self._keys),
            bounds=array("q", [*self._starts, len(self._at)]),
            at=self._at,
            from_status=self._from,
            to_status=self._to,
            statuses=self._statuses(),
        )

    def _statuses(self) -> tuple[str, ...]:
        """Status names by code (None, NO_STATUS, came first)."""
        return tuple(name for name in self._codes if name is not None)

    def changes(self, epoch: datetime) -> Iterator[StateChange]:
        """The changes as given (to regroup them), instants counted from `epoch`."""
        statuses = self._statuses()
        ends = [*self._starts[1:], len(self._at)]
        microsecond = timedelta(microseconds=1)
        for source, key, first, end in zip(
            self._sources, self._keys, self._starts, ends, strict=True
        ):
            for index in range(first, end):
                code = self._from[index]
                yield StateChange(
                    source,
                    key,
                    epoch + self._at[index] * microsecond,
                    None if code == NO_STATUS else statuses[code],
                    statuses[self._to[index]],
                )


def _run_starts(sources: Sequence[str], keys: Sequence[str]) -> list[int]:
    """Where each item's run of changes begins in one chunk: a new key, or a new source."""
    changed = map(or_, map(ne, keys[1:], keys), map(ne, sources[1:], sources))
    return [0, *compress(range(1, len(keys)), changed)]


def _runs(item_sources: Sequence[str]) -> tuple[tuple[str, int], ...] | None:
    """(source, first item) per source, in order; None when a source's items are split."""
    starts = [0, *compress(range(1, len(item_sources)), map(ne, item_sources[1:], item_sources))]
    runs = tuple((item_sources[start], start) for start in starts) if item_sources else ()
    return runs if len(runs) == len({source for source, _ in runs}) else None


def _repeats(runs: Sequence[tuple[str, int]], keys: Sequence[str]) -> bool:
    """Whether some item's changes are split over several runs."""
    ends = [first for _, first in runs[1:]] + [len(keys)] if runs else []
    return any(
        len(set(keys[first:end])) != end - first for (_, first), end in zip(runs, ends, strict=True)
    )


def _out_of_order(at: Sequence[int], starts: Sequence[int]) -> bool:
    """Whether some item's changes go back in time (where a new item begins, they may)."""
    backwards = compress(range(1, len(at)), map(lt, at[1:], at))
    return not set(starts).issuperset(backwards)


class _Codes(dict[str | None, int]):
    """Status name -> code, a new code for each name met first (C-level lookups otherwise)."""

    def __missing__(self, name: str | None) -> int:
        code = self[name] = len(self) - 1  # None, NO_STATUS, is not a name
        return code
