"""The Azure DevOps Boards connector: WIQL id listings, work item batches, revision history.

A run, at the request floor:

1. WIQL lists the ids in scope, ordered by id, in windows of 20,000 (removals are detected from
   it on every run). An incremental run adds one WIQL for the ids changed since the watermark
   (minus the overlap), so a run where nothing changed costs exactly these two requests (one
   more per further window of 20,000 listed ids).
2. `workitemsbatch` fetches the ids to map (all of them, or the changed and the not-yet-stored
   ones) 200 at a time, `parallelism` batches in flight, one page per batch, in id order.
3. When anything was fetched, or no revisions token is stored yet, the reporting revisions
   stream (resumed from the token in the cursor) supplies the state transitions.

The cursor (see `ado_cursor`) is on every page: pages before the last keep the watermark the run
started from, so a run that stops half-way is repeated rather than skipping changes; the last page
advances it and carries the scope.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain

from lpmsync.connectors.azure_devops.client import BATCH_SIZE, AdoClient
from lpmsync.connectors.azure_devops.cursor import CursorProgress, StoredCursor, read_cursor
from lpmsync.connectors.azure_devops.history import TransitionTracker, revision_fields
from lpmsync.connectors.azure_devops.mapping import map_work_items, requested_fields, status_field
from lpmsync.connectors.azure_devops.transport import RequestMeter
from lpmsync.connectors.context import ConnectorContext
from lpmsync.connectors.parallel import ordered_parallel_map
from lpmsync.domain.model import SkippedItem, StateChange, WorkItem
from lpmsync.domain.sync import Cursor, SyncPage, SyncRequest
from lpmsync.errors import TransientConnectorError
from lpmsync.settings import AzureDevOpsSource, read_secret


@dataclass(frozen=True, slots=True)
class _Plan:
    """What this run will fetch, decided from the listings and the stored cursor."""

    listed: tuple[int, ...]
    to_fetch: tuple[int, ...]
    previous: StoredCursor  # what the run starts from (token and unstored cleared when full)
    as_of: datetime | None  # when the service ran the listing: the next watermark
    fetch_revisions: bool
    requests: int  # discovery and WIQL requests, counted on the first page


@dataclass(frozen=True, slots=True)
class _Part:
    """A page before its cursor and scope are known."""

    items: tuple[WorkItem, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    history: tuple[StateChange, ...] = ()
    requests: int = 0
    fetched: tuple[int, ...] = ()
    unstored: tuple[int, ...] = ()  # fetched ids that gave no item
    token: str | None = None  # the revisions token after this part
    newest_change: datetime | None = None


class AzureDevOpsConnector:
    """Reads one Azure DevOps project's portfolio work items (see the module docstring)."""

    def __init__(self, config: AzureDevOpsSource, client: AdoClient, meter: RequestMeter) -> None:
        self._config = config
        self._client = client
        self._meter = meter
        self._fields = requested_fields(config)
        self._revision_fields = revision_fields(status_field(config))

    @classmethod
    def from_config(
        cls, config: AzureDevOpsSource, context: ConnectorContext
    ) -> AzureDevOpsConnector:
        """The connector for one configured source; the PAT is read from `config.pat_env`
        (a ConfigError names the variable when it is unset). No request is sent yet."""
        pat = read_secret(config.pat_env, context.environ, key=f"sources.{config.name}.pat_env")
        meter = RequestMeter()
        client = AdoClient(
            config,
            pat,
            data_dir=context.data_dir,
            sleep=context.sleep or time.sleep,
            meter=meter,
        )
        return cls(config, client, meter)

    @property
    def source(self) -> str:
        return self._config.name

    @property
    def requests_made(self) -> int:
        return self._meter.total

    def close(self) -> None:
        self._client.close()

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        """Item pages in id order, then revision pages; the last page carries the scope."""
        plan = self._plan(request)
        scope = frozenset(str(item_id) for item_id in plan.listed)
        parts: Iterable[_Part] = self._item_parts(plan)
        if plan.fetch_revisions:
            revisions = self._revision_parts(plan.previous.token, plan.previous.since, scope)
            parts = chain(parts, revisions)
        yield from self._pages(parts, plan, scope)

    def _plan(self, request: SyncRequest) -> _Plan:
        before = self._meter.by_this_thread()
        previous = read_cursor(request.cursor)
        if request.full:
            previous = StoredCursor(watermark=previous.watermark)
        listing = self._client.list_ids()
        if request.full or previous.watermark is None:
            to_fetch = listing.ids
        else:
            overlap = timedelta(minutes=self._config.overlap_minutes)
            changed = self._client.list_ids(changed_since=previous.watermark - overlap)
            listed = set(listing.ids)
            new = (
                i
                for i in listing.ids
                if str(i) not in request.known_keys and i not in previous.unstored
            )
            to_fetch = tuple(sorted({i for i in changed.ids if i in listed}.union(new)))
        return _Plan(
            listed=listing.ids,
            to_fetch=to_fetch,
            previous=previous,
            as_of=listing.as_of,
            fetch_revisions=_reads_revisions(previous, bool(to_fetch), self._config),
            requests=self._meter.by_this_thread() - before,
        )

    def _item_parts(self, plan: _Plan) -> Iterator[_Part]:
        chunks = [
            plan.to_fetch[start : start + BATCH_SIZE]
            for start in range(0, len(plan.to_fetch), BATCH_SIZE)
        ]
        batches = ordered_parallel_map(self._fetch, chunks, self._config.parallelism)
        for ids, (raw_items, requests) in zip(chunks, batches, strict=True):
            batch = map_work_items(raw_items, self._config)
            stored = {int(item.key) for item in batch.items}
            yield _Part(
                items=batch.items,
                skipped=batch.skipped,
                requests=requests,
                fetched=ids,
                unstored=tuple(i for i in ids if i not in stored),
                newest_change=max((item.updated for item in batch.items), default=None),
            )

    def _fetch(self, ids: Sequence[int]) -> tuple[list[object], int]:
        """One batch, with the requests it took (this runs on a worker thread)."""
        before = self._meter.by_this_thread()
        raw_items = self._client.fetch_batch(ids, self._fields)
        return raw_items, self._meter.by_this_thread() - before

    def _revision_parts(
        self, token: str | None, since: datetime | None, scope: frozenset[str]
    ) -> Iterator[_Part]:
        tracker = TransitionTracker(self.source, status_field(self._config), scope.__contains__)
        while True:
            before = self._meter.by_this_thread()
            batch = self._client.read_revisions(token, self._revision_fields, since)
            requests = self._meter.by_this_thread() - before
            if not batch.is_last and (batch.token is None or batch.token == token):
                raise TransientConnectorError(
                    "reporting revisions: a batch that is not the last has no new "
                    "continuation token",
                    source=self.source,
                )
            token = batch.token or token
            history = tuple(tracker.feed(batch.revisions))
            yield _Part(history=history, requests=requests, token=token)
            if batch.is_last:
                return

    def _pages(
        self, parts: Iterable[_Part], plan: _Plan, scope: frozenset[str]
    ) -> Iterator[SyncPage]:
        """Cursor on every page; on the last one also the scope and the advanced watermark.
        Holds one part back, since only the end of the stream tells which part is last."""
        progress = CursorProgress(plan.previous, frozenset(plan.listed), plan.previous.token)
        pending: _Part | None = None
        for part in parts:
            if pending is not None:
                yield _page(pending, progress.page_cursor())
            else:  # the first page also carries the listing's requests
                part = replace(part, requests=part.requests + plan.requests)  # noqa: PLW2901
            progress.advance(
                fetched=part.fetched,
                unstored=part.unstored,
                newest_change=part.newest_change,
                token=part.token,
            )
            pending = part
        last = pending or _Part(requests=plan.requests)
        start_stream = not plan.fetch_revisions and not plan.previous.has_stream
        yield _page(last, progress.final_cursor(plan.as_of, start_stream=start_stream), scope)


def _reads_revisions(previous: StoredCursor, changed: bool, config: AzureDevOpsSource) -> bool:
    """Revisions are read when items changed and the stream has somewhere to resume from. The
    first sync reads the whole history only with `history_backfill` (one sequential request per
    1,000 revisions); otherwise it leaves the stream to start at its own listing time, so a full
    sync costs only the WIQL and batch requests, and `StateChangeDate` still dates each state."""
    if not previous.has_stream:
        return config.history_backfill
    return changed


def _page(part: _Part, cursor: Cursor, scope: frozenset[str] | None = None) -> SyncPage:
    return SyncPage(
        items=part.items,
        history=part.history,
        cursor=cursor,
        scope=scope,
        skipped=part.skipped,
        requests=part.requests,
    )
