"""The sync use case, driven by a fake connector (no HTTP): commit order, failures, resume."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lpmsync.connectors.retry import stoppable_sleep
from lpmsync.domain.model import UNMAPPED, Level, SkippedItem, WorkItem
from lpmsync.domain.sync import SyncPage, SyncRequest
from lpmsync.errors import FatalConnectorError
from lpmsync.services.sync import sync_source, sync_sources
from lpmsync.store import SqlStore, open_store

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def work_item(key: str, source: str = "fake", state: str = "Implementing") -> WorkItem:
    return WorkItem(
        source,
        key,
        key,
        Level.EPIC,
        f"Epic {key}",
        f"https://x/{key}",
        "In Progress",
        state,
        T0,
        T0,
    )


@dataclass
class FakeConnector:
    """Yields the pages it is given; can fail after a number of pages, like a dropped network."""

    source: str
    page_list: list[SyncPage]
    fail_after: int | None = None
    error: Exception = field(
        default_factory=lambda: FatalConnectorError("401 from https://x (JIRA_API_TOKEN)")
    )
    requests_made: int = 0
    seen: list[SyncRequest] = field(default_factory=list)

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        self.seen.append(request)
        for index, page in enumerate(self.page_list):
            if self.fail_after is not None and index == self.fail_after:
                raise self.error
            self.requests_made += page.requests
            yield page

    def close(self) -> None:
        return None


class SteppingClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def fresh_store(tmp_path: object) -> SqlStore:
    return open_store(f"sqlite:///{tmp_path}/s.db")


def test_pages_are_committed_with_their_cursors(tmp_path: object) -> None:
    store = fresh_store(tmp_path)
    pages = [
        SyncPage(items=(work_item("A-1"),), cursor={"updated": "1"}, requests=2),
        SyncPage(
            items=(work_item("A-2"), work_item("A-3", state=UNMAPPED)),
            cursor={"updated": "2"},
            skipped=(SkippedItem("fake", "A-9", "missing fields.status"),),
            requests=1,
            scope=frozenset({"A-1", "A-2", "A-3"}),
        ),
    ]
    summary = sync_source(store, FakeConnector("fake", pages), SteppingClock())
    assert (summary.status, summary.added, summary.pages, summary.requests) == ("ok", 3, 2, 3)
    assert summary.skipped == [{"key": "A-9", "reason": "missing fields.status"}]
    assert summary.unmapped == [{"key": "A-3", "status": "In Progress"}]
    assert store.items.cursor("fake") == {"updated": "2"}
    run = store.runs.latest("sync", "fake")
    assert run is not None and run.status == "ok" and run.stats["skipped_count"] == 1


def test_a_failure_keeps_committed_pages_and_the_next_run_resumes(tmp_path: object) -> None:
    store = fresh_store(tmp_path)
    pages = [
        SyncPage(items=(work_item("A-1"),), cursor={"updated": "1"}),
        SyncPage(items=(work_item("A-2"),), cursor={"updated": "2"}),
    ]
    failing = FakeConnector("fake", pages, fail_after=1)
    summary = sync_source(store, failing, SteppingClock())
    assert summary.status == "failed" and "JIRA_API_TOKEN" in (summary.error or "")
    assert store.items.known_keys("fake") == {"A-1"}
    assert store.items.cursor("fake") == {"updated": "1"}  # never ahead of the data

    resumed = FakeConnector("fake", pages[1:])
    sync_source(store, resumed, SteppingClock())
    assert resumed.seen[0].cursor == {"updated": "1"}
    assert resumed.seen[0].known_keys == {"A-1"}
    assert store.items.known_keys("fake") == {"A-1", "A-2"}


def test_one_failing_source_does_not_stop_the_others(tmp_path: object) -> None:
    store = fresh_store(tmp_path)
    broken = FakeConnector("broken", [SyncPage()], fail_after=0, error=RuntimeError("bug"))
    healthy = FakeConnector("healthy", [SyncPage(items=(work_item("B-1", source="healthy"),))])
    summaries = sync_sources(store, [broken, healthy], SteppingClock())
    assert [(s.source, s.status) for s in summaries] == [("broken", "failed"), ("healthy", "ok")]
    assert "unexpected RuntimeError" in (summaries[0].error or "")
    assert store.items.known_keys("healthy") == {"B-1"}


def test_full_flag_and_stop_request_are_honoured(tmp_path: object) -> None:
    store = fresh_store(tmp_path)
    pages = [SyncPage(items=(work_item(f"A-{n}"),)) for n in range(5)]
    connector = FakeConnector("fake", pages)
    calls = iter(range(100))
    summary = sync_source(
        store, connector, SteppingClock(), full=True, should_stop=lambda: next(calls) >= 1
    )
    assert connector.seen[0].full is True
    assert summary.status == "interrupted" and summary.pages == 2
    assert len(store.items.known_keys("fake")) == 2


def test_a_source_run_left_running_by_a_dead_process_is_abandoned_when_its_lock_is_taken(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'lpmsync.db'}")
    try:
        dead = store.runs.start("sync", "fake", T0)  # a process killed mid-sync left this
        other = store.runs.start("sync", "elsewhere", T0)  # another source: not ours to judge
        page = SyncPage(items=(work_item("E-1"),), cursor={"updated": "1"})
        [summary] = sync_sources(store, [FakeConnector("fake", [page])], SteppingClock())
        status = {run.id: run.status for run in store.runs.recent(job="sync")}
        assert summary.status == "ok"
        assert (status[dead], status[other]) == ("abandoned", "running")
    finally:
        store.close()


@dataclass
class ThrottledConnector(FakeConnector):
    """Yields its first page, then waits out a 60 s Retry-After with the service's sleep."""

    sleep: Callable[[float], None] = time.sleep

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        yield self.page_list[0]
        self.sleep(60.0)
        yield from self.page_list[1:]


def test_a_stop_during_a_retry_wait_ends_the_source_as_interrupted(tmp_path: object) -> None:
    store = fresh_store(tmp_path)
    pages = [
        SyncPage(items=(work_item("A-1"),), cursor={"updated": "1"}),
        SyncPage(items=(work_item("A-2"),), cursor={"updated": "2"}),
    ]
    stop = threading.Event()
    stop.set()  # SIGTERM arrived: the wait ends at once instead of after 60 s
    throttled = ThrottledConnector("fake", pages, sleep=stoppable_sleep(stop))

    summary = sync_source(store, throttled, SteppingClock())

    assert (summary.status, summary.error) == ("interrupted", None)
    assert store.items.known_keys("fake") == {"A-1"}
    assert store.items.cursor("fake") == {"updated": "1"}  # the next sync resumes from here
    assert [run.status for run in store.runs.recent(job="sync")] == ["interrupted"]


def test_pages_are_committed_on_a_thread_of_their_own_except_in_memory(tmp_path: object) -> None:
    threads: dict[str, set[str]] = {}

    def progress(source: str, page: SyncPage, outcome: object) -> None:
        threads.setdefault(source, set()).add(threading.current_thread().name)

    pages = [SyncPage(items=(work_item(f"A-{n}"),)) for n in range(3)]
    for store, source in ((fresh_store(tmp_path), "file"), (open_store("sqlite://"), "memory")):
        connector = FakeConnector(source, [replace_source(page, source) for page in pages])
        summary = sync_source(store, connector, SteppingClock(), progress=progress)
        assert (summary.status, summary.pages) == ("ok", 3)
        assert len(store.items.known_keys(source)) == 3

    assert threads == {"file": {"lpmsync-commit-file"}, "memory": {"MainThread"}}


def test_a_failing_commit_stops_the_sync_and_nothing_after_it_is_committed(
    tmp_path: object,
) -> None:
    store = fresh_store(tmp_path)
    pages = [
        SyncPage(items=(work_item(f"A-{n}"),), cursor={"updated": str(n)}, requests=1)
        for n in range(6)
    ]
    connector = FakeConnector("fake", pages)

    def progress(source: str, page: SyncPage, outcome: object) -> None:
        if page.cursor == {"updated": "1"}:
            raise RuntimeError("a progress bar that broke")

    summary = sync_source(store, connector, SteppingClock(), progress=progress)

    assert summary.status == "failed" and "a progress bar that broke" in (summary.error or "")
    assert store.items.known_keys("fake") == {"A-0", "A-1"}  # committed before the failure
    assert store.items.cursor("fake") == {"updated": "1"}
    assert summary.pages == 2  # counted before its progress call failed
    # Read no further than the committer's reach: one page queued, one being handed over, and
    # the one read before the failure was seen (never all six).
    assert connector.requests_made <= 5


def replace_source(page: SyncPage, source: str) -> SyncPage:
    items = tuple(work_item(item.key, source=source) for item in page.items)
    return SyncPage(items=items, cursor=page.cursor)
