"""Sources sync side by side, each under its own lock: with PostgreSQL, replicas share the sources
and no source is ever synced by two replicas at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.sync import SyncPage, SyncRequest
from lpmsync.services.sync import SOURCE_LOCK, sync_sources
from lpmsync.store import open_store

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def clock() -> datetime:
    return T0


def item(source: str, key: str) -> WorkItem:
    return WorkItem(source, key, key, Level.EPIC, key, f"https://x/{key}", "Open", "Funnel", T0, T0)


@dataclass
class Activity:
    """Who is syncing which source right now, and the most at once per source."""

    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    by_replica: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, source: str, replica: str) -> None:
        with self.lock:
            self.active[source] += 1
            self.peak[source] = max(self.peak[source], self.active[source])
            self.runs[source] += 1
            self.by_replica[replica] += 1

    def leave(self, source: str) -> None:
        with self.lock:
            self.active[source] -= 1


@dataclass
class SlowConnector:
    """Two pages, each after `delay` seconds; optionally waits at a barrier with the others."""

    source: str
    replica: str
    activity: Activity
    delay: float = 0.05
    barrier: threading.Barrier | None = None
    requests_made: int = 0

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        self.activity.enter(self.source, self.replica)
        try:
            if self.barrier is not None:
                self.barrier.wait()  # breaks (and fails the source) unless all run at once
            for n in range(2):
                time.sleep(self.delay)
                self.requests_made += 1
                key = f"{self.source}-{n}"
                yield SyncPage(items=(item(self.source, key),), cursor={"page": n}, requests=1)
        finally:
            self.activity.leave(self.source)

    def close(self) -> None:
        return None


def test_sources_run_side_by_side_with_their_pages_in_order(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    activity = Activity()
    barrier = threading.Barrier(3, timeout=20)
    connectors = [SlowConnector(f"s{n}", "one", activity, barrier=barrier) for n in range(3)]
    summaries = sync_sources(store, connectors, clock)
    assert [s.source for s in summaries] == ["s0", "s1", "s2"]
    assert [s.status for s in summaries] == ["ok", "ok", "ok"]
    assert [s.pages for s in summaries] == [2, 2, 2]
    assert store.items.count() == 6
    assert all(store.items.cursor(f"s{n}") == {"page": 1} for n in range(3))


def test_a_source_another_process_is_syncing_is_left_to_it(sqlite_url: str) -> None:
    store, other = open_store(sqlite_url), open_store(sqlite_url)
    activity = Activity()
    connectors = [SlowConnector(name, "one", activity) for name in ("a", "b")]
    with other.locks.job(f"{SOURCE_LOCK}a") as held:
        assert held
        summaries = sync_sources(store, connectors, clock)
    assert {s.source: s.status for s in summaries} == {"a": "skipped", "b": "ok"}
    assert activity.runs == Counter({"b": 1})


@pytest.mark.postgres
def test_two_replicas_share_eight_sources_one_replica_per_source(pg_url: str) -> None:
    open_store(pg_url).close()  # migrate once
    activity = Activity()
    sources = [f"source-{n}" for n in range(8)]
    results: dict[str, list[str]] = {}

    def replica(name: str) -> None:
        store = open_store(pg_url)
        try:
            connectors = [SlowConnector(s, name, activity, delay=0.1) for s in sources]
            summaries = sync_sources(store, connectors, clock, parallel_sources=4)
            results[name] = [s.status for s in summaries]
        finally:
            store.close()

    threads = [threading.Thread(target=replica, args=(name,)) for name in ("r1", "r2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(results) == {"r1", "r2"}
    assert all(activity.peak[s] == 1 for s in sources), activity.peak  # never two at once
    assert set(activity.runs) == set(sources)  # every source synced
    assert activity.by_replica["r1"] > 0 and activity.by_replica["r2"] > 0  # the work is shared
    assert results["r1"].count("skipped") + results["r2"].count("skipped") > 0
    store = open_store(pg_url)
    assert store.items.count() == 16
