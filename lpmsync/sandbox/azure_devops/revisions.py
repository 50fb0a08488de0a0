"""Work item revisions for the Azure DevOps sandbox, in the order the server saw them.

A `SampleItem` carries its state transitions; each becomes a revision (plus the creation, and a
last revision for an edit that changed no state). Like the real service's watermark, every
revision gets a position in one append-only log the first time the server notices it, so a
continuation token taken at the end replays nothing, and a change made later (`Dataset.change`)
always lands after it, whatever timestamp the change carries.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from lpmsync.sandbox.dataset import Dataset, SampleItem

_NEVER = object()


class Revision(NamedTuple):  # a tuple: the ledger holds one per revision, 500,000 at scale
    key: str
    item_id: int
    rev: int  # 1-based, as System.Rev
    at: datetime  # System.ChangedDate of this revision
    state: str
    watermark: int  # 1-based position in the log


def _steps(item: SampleItem, known: list[Revision]) -> list[tuple[datetime, str]]:
    """The revisions of `item` that the ledger has not recorded yet, as (time, state)."""
    history = sorted(item.history, key=lambda transition: transition.at)
    steps: list[tuple[datetime, str]] = []
    if not known:
        first = history[0].from_status if history else item.status
        if first is not None:  # a first transition from nothing is the creation itself
            steps.append((item.created, first))
    last_at = known[-1].at if known else None
    steps.extend(
        (transition.at, transition.to_status)
        for transition in history
        if last_at is None or transition.at > last_at
    )
    end_at, end_state = steps[-1] if steps else (known[-1].at, known[-1].state)
    if item.updated > end_at or end_state != item.status:
        # An edit that changed no state (or a state change without a transition) is a revision.
        steps.append((max(item.updated, end_at), item.status))
    # Revisions never go back in time, even when sample data has a transition before creation.
    floor = known[-1].at if known else steps[0][0]
    monotonic = []
    for at, state in steps:
        floor = max(floor, at)
        monotonic.append((floor, state))
    return monotonic


class RevisionLedger:
    """Every revision of every item, each with its watermark; thread-safe."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._lock = threading.RLock()
        self._seen: dict[str, SampleItem] = {}
        self._by_key: dict[str, list[Revision]] = {}
        self._log: list[Revision] = []
        self._scanned: object = _NEVER
        self._initialised = False

    def catch_up(self) -> int:
        """Notice every change made to the dataset since the last call; the newest watermark."""
        with self._lock:
            version = getattr(self._dataset, "version", None)
            if version is None or version != self._scanned:
                changed = [item for item in self._dataset if self._seen.get(item.key) is not item]
                self._record(changed)
                self._scanned = version if version is not None else _NEVER
                self._initialised = True
            return len(self._log)

    def revisions(self, item: SampleItem) -> list[Revision]:
        """All revisions of one item, oldest first (noticing a change to it first)."""
        with self._lock:
            return list(self._noticed(item))

    def latest(self, item: SampleItem) -> Revision:
        """The current revision of one item (noticing a change to it first). Revisions are only
        ever appended, so the same object here means the item's whole history is unchanged."""
        with self._lock:
            return self._noticed(item)[-1]

    def _noticed(self, item: SampleItem) -> list[Revision]:
        if not self._initialised:
            self.catch_up()  # the first sight of the data orders it by time, globally
        if self._seen.get(item.key) is not item:
            self._record([item])
        return self._by_key[item.key]

    def page(
        self, after: int, size: int, accept: Callable[[Revision, SampleItem], bool]
    ) -> tuple[list[tuple[Revision, SampleItem]], int, bool]:
        """Up to `size` accepted revisions after watermark `after` whose item still exists;
        the watermark reached and whether the log is exhausted."""
        with self._lock:
            end = len(self._log)
            position = min(max(after, 0), end)
            found: list[tuple[Revision, SampleItem]] = []
            while position < end and len(found) < size:
                revision = self._log[position]
                position += 1
                item = self._dataset.get(revision.key)
                if item is not None and accept(revision, item):
                    found.append((revision, item))
            return found, position, position >= end

    def at_watermark(self, watermark: int) -> Revision | None:
        with self._lock:
            return self._log[watermark - 1] if 0 < watermark <= len(self._log) else None

    def is_latest(self, revision: Revision) -> bool:
        with self._lock:
            return self._by_key[revision.key][-1] is revision

    def state_changed_at(self, revision: Revision) -> datetime:
        """When the item entered the state it has at `revision`."""
        with self._lock:
            history = self._by_key[revision.key][: revision.rev]
        moment = revision.at
        for earlier in reversed(history):
            if earlier.state != revision.state:
                break
            moment = earlier.at
        return moment

    def revised_at(self, revision: Revision) -> datetime | None:
        """When the next revision replaced this one (None for the current revision)."""
        with self._lock:
            history = self._by_key[revision.key]
        return history[revision.rev].at if revision.rev < len(history) else None

    def _record(self, items: list[SampleItem]) -> None:
        if len(items) < 1000:
            self._append(items)
            return
        # Half a million small acyclic tuples at scale: the cycle collector would only rescan
        # them, tripling the time of the first read.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._append(items)
        finally:
            if was_enabled:
                gc.enable()

    def _append(self, items: list[SampleItem]) -> None:
        pending: list[tuple[datetime, int, int, str, str]] = []
        for item in items:
            known = self._by_key.setdefault(item.key, [])
            base = len(known) + 1
            key, item_id = item.key, item.id
            pending.extend(
                (at, item_id, base + offset, key, state)
                for offset, (at, state) in enumerate(_steps(item, known))
            )
            self._seen[key] = item
        pending.sort()  # by time, then id, then rev: unique, so key and state never compare
        log, by_key, make = self._log, self._by_key, Revision._make
        watermark = len(log)
        for at, item_id, rev, key, state in pending:
            watermark += 1
            revision = make((key, item_id, rev, at, state, watermark))
            log.append(revision)
            by_key[key].append(revision)
