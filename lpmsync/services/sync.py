"""The sync use case: read every source page by page into the store, and record the run."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lpmsync.connectors.base import Connector
from lpmsync.domain.findings import JsonValue
from lpmsync.domain.model import UNMAPPED
from lpmsync.domain.sanitise import NAME_LIMIT, skipped_item
from lpmsync.domain.sync import PageOutcome, SyncPage, SyncRequest
from lpmsync.domain.text import clean_text
from lpmsync.errors import ConnectorError, FatalConnectorError, StoreError, SyncInterruptedError
from lpmsync.redact import redact
from lpmsync.services.clock import Clock
from lpmsync.services.collector import fewer_collections
from lpmsync.store import SqlStore
from lpmsync.store.locks import sqlite_path

log = logging.getLogger("lpmsync.sync")

PARALLEL_SOURCES = 4  # sources synced at once: each mostly waits on its tracker
SOURCE_LOCK = "sync-source."  # + source name: one process or replica per source at a time
DETAIL_LIMIT = 100  # skipped/unmapped items listed per run; the counts are always complete

ProgressFn = Callable[[str, SyncPage, PageOutcome], None]


@dataclass
class SourceSummary:
    """What one source's sync did; also stored as the run's stats."""

    source: str
    status: str = "ok"  # ok | failed | interrupted | skipped (another process syncs it)
    added: int = 0
    changed: int = 0
    removed: int = 0
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)
    skipped_count: int = 0
    unmapped: list[dict[str, str]] = field(default_factory=list)
    unmapped_count: int = 0
    error: str | None = None

    def add(self, page: SyncPage, outcome: PageOutcome) -> None:
        self.pages += 1
        self.added += outcome.added
        self.changed += outcome.changed
        self.removed += outcome.removed
        every_skipped = (*page.skipped, *outcome.refused)
        self.skipped_count += len(every_skipped)
        for raw in every_skipped[: max(0, DETAIL_LIMIT - len(self.skipped))]:
            skipped = skipped_item(raw.source, raw.key, raw.reason)  # stored in runs.stats
            self.skipped.append({"key": skipped.key, "reason": skipped.reason})
        refused = {skipped.key for skipped in outcome.refused}
        unmapped = [i for i in page.items if i.state == UNMAPPED and i.key not in refused]
        self.unmapped_count += len(unmapped)
        for item in unmapped[: max(0, DETAIL_LIMIT - len(self.unmapped))]:
            self.unmapped.append({"key": item.key, "status": clean_text(item.status, NAME_LIMIT)})

    def stats(self) -> dict[str, JsonValue]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "pages": self.pages,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "skipped_count": self.skipped_count,
            "skipped": list(self.skipped),  # type: ignore[arg-type]
            "unmapped_count": self.unmapped_count,
            "unmapped": list(self.unmapped),  # type: ignore[arg-type]
        }


def sync_sources(
    store: SqlStore,
    connectors: Sequence[Connector],
    clock: Clock,
    *,
    full: bool = False,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    parallel_sources: int = PARALLEL_SOURCES,
) -> list[SourceSummary]:
    """Sync the sources side by side (at most `parallel_sources` at once), each under its own
    lock: a source another process or replica is syncing is left to it ("skipped"). Each
    source's pages are still committed in order with its cursor, and one failing source never
    stops the others. Summaries come back in the connectors' order."""

    def one(connector: Connector) -> SourceSummary | None:
        if should_stop():
            return None
        with store.locks.job(f"{SOURCE_LOCK}{connector.source}") as acquired:
            if not acquired:
                log.info("sync of %s skipped: another process is syncing it", connector.source)
                return SourceSummary(connector.source, status="skipped")
            # Holding the source's lock, no live process is syncing it: a run still `running`
            # was left by one that died (kill -9, OOM).
            store.runs.abandon("sync", clock(), source=connector.source)
            return sync_source(
                store, connector, clock, full=full, progress=progress, should_stop=should_stop
            )

    workers = max(1, min(parallel_sources, len(connectors)))
    if store.engine.dialect.name == "sqlite" and sqlite_path(store.engine) is None:
        workers = 1  # an in-memory database is one per connection: threads would not share it
    if workers == 1:
        results = [one(connector) for connector in connectors]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="lpmsync-source") as pool:
            results = list(pool.map(one, connectors))
    return [summary for summary in results if summary is not None]


def sync_source(
    store: SqlStore,
    connector: Connector,
    clock: Clock,
    *,
    full: bool = False,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SourceSummary:
    """Commit the connector's pages one transaction each; a crash leaves every committed page
    (and its cursor) in place, so the next run resumes from there."""
    source = connector.source
    summary = SourceSummary(source)
    run_id = store.runs.start("sync", source, clock())
    started, requests_before = time.monotonic(), connector.requests_made
    request = SyncRequest(store.items.cursor(source), store.items.known_keys(source), full)
    try:
        with fewer_collections():
            _commit_pages(
                store,
                connector,
                request,
                summary,
                clock,
                progress=progress,
                should_stop=should_stop,
            )
    except SyncInterruptedError:
        summary.status = "interrupted"
        log.info("sync of %s stopped while waiting to retry; the next sync resumes it", source)
    except ConnectorError as exc:
        summary.status, summary.error = "failed", redact(str(exc))
        level = logging.ERROR if isinstance(exc, FatalConnectorError) else logging.WARNING
        log.log(level, "sync of %s failed: %s", source, exc)
    except StoreError:
        raise
    except Exception as exc:  # a connector bug must not stop the other sources
        summary.status, summary.error = "failed", redact(f"unexpected {type(exc).__name__}: {exc}")
        log.exception("sync of %s failed unexpectedly", source)
    summary.seconds = time.monotonic() - started
    summary.requests = connector.requests_made - requests_before
    for skipped in summary.skipped:
        log.warning("skipped %s item %s: %s", source, skipped["key"], skipped["reason"])
    store.runs.finish(run_id, clock(), summary.status, summary.stats(), summary.error)
    return summary


def _commit_pages(
    store: SqlStore,
    connector: Connector,
    request: SyncRequest,
    summary: SourceSummary,
    clock: Clock,
    *,
    progress: ProgressFn | None,
    should_stop: Callable[[], bool],
) -> None:
    """Each page committed with its cursor, in order, until the last or a stop request.

    The commits run on a thread of their own while this one reads the next page from the
    connector (mapping it, for Jira): the database's own work (SQLite's statements, PostgreSQL's
    round trips) releases the interpreter lock, so the next page is mapped meanwhile (a 10,000
    item full sync measured 8-17% shorter for Jira Cloud, ~10% for Azure DevOps). An in-memory
    SQLite database is one per connection, so its pages are committed on this thread."""
    source = connector.source

    def commit(page: SyncPage) -> bool:
        outcome = store.items.apply_page(source, page, clock())
        summary.add(page, outcome)
        if progress is not None:
            progress(source, page, outcome)
        if should_stop():
            summary.status = "interrupted"
            return False
        return True

    if store.engine.dialect.name == "sqlite" and sqlite_path(store.engine) is None:
        for page in connector.pages(request):
            if not commit(page):
                break
        return
    committer = _PageCommitter(commit, name=f"lpmsync-commit-{source}")
    try:
        for page in connector.pages(request):
            if not committer.accepting():
                break
            committer.submit(page)
    finally:
        committer.close()  # waits for every page handed over; raises a commit's failure


class _PageCommitter:
    """Commits pages in the order handed over, on its own thread, at most one page behind.

    After a stop request or a failure it commits nothing more (the pages still handed over are
    dropped, their cursors with them), and `close` raises the failure in the caller's thread."""

    def __init__(self, commit: Callable[[SyncPage], bool], *, name: str) -> None:
        self._commit = commit  # False: stop after this page
        self._pages: queue.Queue[SyncPage | None] = queue.Queue(maxsize=1)
        self._finished = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def accepting(self) -> bool:
        return not self._finished.is_set()

    def submit(self, page: SyncPage) -> None:
        self._pages.put(page)

    def close(self) -> None:
        self._pages.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (page := self._pages.get()) is not None:
            if self._finished.is_set():
                continue  # drained, never committed: the caller never blocks on a full queue
            try:
                if not self._commit(page):
                    self._finished.set()
            except BaseException as error:  # re-raised by close(), in the caller's thread
                self._error = error
                self._finished.set()
