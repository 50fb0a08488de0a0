"""Fetcher events -> `SyncPage`s with the right cursor on each, for one sync.

- Every batch becomes a page of mapped items, their status history and the skipped items.
- During a full sync each page also stores a resume marker (the last key it covers), so a crash
  costs only the unfinished pages. During an incremental sync pages store no cursor: the old
  watermark stays until the end, and a crash simply re-reads the same changes.
- A last page, with no items, carries the scope (every listed key, so removals happen only after
  a complete listing) and the new watermark. Nothing is removed if the listing never finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from lpmsync.connectors.jira.cursor import CursorState, Mode, Plan, boundary, watermark
from lpmsync.connectors.jira.fetch import Event, Listing, RawBatch, Started
from lpmsync.connectors.jira.mapping import MappedIssue, MappingConfig, map_issue
from lpmsync.connectors.jira.structs import TypedIssues
from lpmsync.connectors.jira.typed_mapping import TypedMapper
from lpmsync.connectors.jira.values import (
    JSON_OBJECT,
    MalformedValueError,
    parse_datetime,
    utc_offset_minutes,
)
from lpmsync.domain.model import SkippedItem, StateChange, WorkItem
from lpmsync.domain.sync import SyncPage

log = logging.getLogger("lpmsync.connectors.jira")


class PageBuilder:
    def __init__(
        self,
        plan: Plan,
        mapping: MappingConfig,
        read_back: Callable[[int | None], int],
        requests_made: Callable[[], int],
        reported: int,
    ) -> None:
        self._plan = plan
        self._mapping = mapping
        self._typed = TypedMapper(mapping)
        self._read_back = read_back  # minutes the next search reads before W, given the offset
        self._requests_made = requests_made
        self._reported = reported  # requests already attributed to an earlier page or run
        self.started: datetime | None = None
        self.listing: Listing | None = None
        self._updated: dict[str, datetime] = {}
        self._fetched: set[str] = set()
        self._ignored: set[str] = set()
        self._errors: set[str] = set()
        self._offset: int | None = None
        self._newest_raw: datetime | None = None
        self._marker = plan.previous.resume_after if plan.mode is Mode.RESUME else None

    def handle(self, event: Event) -> SyncPage | None:
        """The page for a batch; None for the events that only inform the cursor."""
        if isinstance(event, Started):
            self.started = event.server_time
            return None
        if isinstance(event, Listing):
            self.listing = event
            return None
        return self._page(event)

    def _page(self, batch: RawBatch) -> SyncPage:
        items: list[WorkItem] = []
        history: list[StateChange] = []
        skipped: list[SkippedItem] = []
        for mapped, raw_updated in self._mapped(batch):
            self._note(mapped, raw_updated)
            if mapped.item is not None:
                items.append(mapped.item)
                history.extend(mapped.history)
            elif mapped.skipped is not None:  # logged once, with the run, by the sync service
                skipped.append(mapped.skipped)
        for key, reason in sorted(batch.errors.items()):
            self._errors.add(key)
            skipped.append(
                SkippedItem(self._mapping.source, key, f"Jira could not return it: {reason}")
            )
        if batch.marker is not None:
            self._marker = batch.marker
        cursor = self._progress_cursor()
        return SyncPage(
            items=tuple(items),
            history=tuple(history),
            cursor=cursor,
            skipped=tuple(skipped),
            requests=self._take_requests(),
        )

    def _mapped(self, batch: RawBatch) -> Iterator[tuple[MappedIssue, object]]:
        """Each issue of the batch mapped, with its `updated` as Jira wrote it."""
        issues, histories = batch.issues, batch.histories
        if isinstance(issues, TypedIssues):
            typed = self._typed
            for index, issue in enumerate(issues.issues):
                given = None if histories is None else histories.get(issue.id, ())
                yield typed.map(issues, index, given), typed.raw_updated(issue)
            return
        for raw in issues:
            mapped = map_issue(raw, _histories_of(raw, histories), self._mapping)
            fields = raw.get("fields") if isinstance(raw, JSON_OBJECT) else None
            yield mapped, fields.get("updated") if isinstance(fields, JSON_OBJECT) else None

    def _note(self, mapped: MappedIssue, raw_updated: object) -> None:
        self._fetched.add(mapped.key)
        if mapped.item is None:
            self._ignored.add(mapped.key)
        if mapped.item is not None:  # read from the same value already
            updated = mapped.item.updated
        else:
            try:
                updated = parse_datetime(raw_updated, "updated")
            except MalformedValueError:
                return
        self._updated[mapped.key] = updated
        if self._newest_raw is None or updated >= self._newest_raw:
            self._newest_raw = updated
            self._offset = utc_offset_minutes(raw_updated)

    def _take_requests(self) -> int:
        now = self._requests_made()
        taken, self._reported = now - self._reported, now
        return taken

    def _progress_cursor(self) -> dict[str, Any] | None:
        """A full sync's resume marker; None (keep the stored cursor) for incremental pages."""
        since = self._plan.previous.resume_since if self._plan.mode is Mode.RESUME else self.started
        if self._plan.mode is Mode.INCREMENTAL or since is None or self._marker is None:
            return None
        previous = self._plan.previous
        state = CursorState(
            updated=previous.updated,
            config=self._plan.config,
            seen=previous.seen,
            ignored=previous.ignored | self._ignored,
            retry=previous.retry | self._errors,
            resume_after=self._marker,
            resume_since=since,
            listed_at=previous.listed_at,
            utc_offset=self._offset if self._offset is not None else previous.utc_offset,
            fields=self._mapping.fields.to_json(),
            site=self._mapping.base_url,
        )
        return state.to_json()

    def final(self) -> SyncPage:
        """The last page: scope and watermark, once every batch is committed."""
        previous, listing = self._plan.previous, self.listing
        complete = listing is not None and listing.complete
        listed = frozenset(listing.keys) if listing is not None else frozenset()
        mark = (
            watermark(self.started, self._newest_raw, previous.updated)
            if complete
            else previous.updated  # a possibly partial scan proves nothing about older changes
        )
        seen = {**previous.seen, **self._updated}
        offset = self._offset if self._offset is not None else previous.utc_offset
        near = boundary(seen, mark, self._read_back(offset))
        state = CursorState(
            updated=mark,
            config=self._plan.config,
            seen={key: at for key, at in near.items() if key in listed},
            ignored=frozenset((previous.ignored & listed) - self._fetched) | self._ignored,
            retry=frozenset(self._errors),
            utc_offset=offset,
            fields=self._mapping.fields.to_json(),
            site=self._mapping.base_url,
            listed_at=previous.listed_at if listing is None or listing.counted else self.started,
        )
        return SyncPage(
            cursor=state.to_json(),
            scope=listed if complete else None,
            requests=self._take_requests(),
        )


def _histories_of(raw: object, histories: Mapping[str, Any] | None) -> Any:
    if histories is None or not isinstance(raw, JSON_OBJECT):
        return None
    ident = raw.get("id")
    return histories.get(str(ident), ()) if ident is not None else ()
