"""The job bodies: sync → check → send, the digest, their locks, runs, metrics and stop requests.
A fake connector and fake steps stand in for the trackers and Slack; the store is real SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.sync import SyncPage, SyncRequest
from lpmsync.errors import FatalConnectorError, StoreError
from lpmsync.observability import Metrics
from lpmsync.services.jobs import JobContext, Step, StepOutcome, run_cycle, run_digest
from lpmsync.store import SqlStore, open_store
from lpmsync.store.locks import FileLocks

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def epic(key: str) -> WorkItem:
    return WorkItem("fake", key, key, Level.EPIC, f"Epic {key}", f"https://x/{key}", "Doing",
                    "Implementing", T0, T0)  # fmt: skip


@dataclass
class FakeConnector:
    source: str = "fake"
    pages_to_yield: int = 3
    error: Exception | None = None
    requests_made: int = 0
    on_page: list[Callable[[], object]] = field(default_factory=list)  # run while fetching

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        for number in range(self.pages_to_yield):
            self.requests_made += 2
            for hook in self.on_page:
                hook()
            yield SyncPage(items=(epic(f"F-{number}"),), cursor={"page": str(number)}, requests=2)
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Recorder:
    calls: list[str] = field(default_factory=list)

    def step(self, name: str, status: str = "ok", error: Exception | None = None) -> Step:
        def run() -> StepOutcome:
            self.calls.append(name)
            if error is not None:
                raise error
            return StepOutcome({"did": name}, status)

        return Step(name, run)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'lpmsync.db'}")
    yield opened
    opened.close()


def context(store: SqlStore, recorder: Recorder, **changes: object) -> JobContext:
    values: dict[str, object] = {
        "store": store,
        "connectors": [FakeConnector()],
        "metrics": Metrics(),
        "check": recorder.step("check"),
        "send": recorder.step("send"),
        "digest": recorder.step("digest"),
        "clock": Clock(),
    }
    values.update(changes)
    return JobContext(**values)  # type: ignore[arg-type]


def sample(ctx: JobContext, name: str, labels: dict[str, str] | None = None) -> float | None:
    return ctx.metrics.registry.get_sample_value(name, labels or {})


def test_a_cycle_syncs_checks_and_sends_and_records_each_step(store: SqlStore) -> None:
    recorder = Recorder()
    ctx = context(store, recorder)
    result = run_cycle(ctx)
    assert (result.status, result.failed_steps) == ("ok", ())
    assert recorder.calls == ["check", "send"]
    assert len(store.items.load()) == 3
    runs = {(run.job, run.source): run for run in store.runs.latest_per_job()}
    assert runs[("sync", "fake")].status == "ok" and runs[("sync", "fake")].stats["pages"] == 3
    assert runs[("check", None)].stats == {"did": "check"}
    assert runs[("send", None)].status == "ok"
    assert sample(ctx, "lpmsync_sync_items_total", {"source": "fake", "change": "added"}) == 3
    assert sample(ctx, "lpmsync_tracker_requests_total", {"source": "fake", "status": "ok"}) == 6
    assert sample(ctx, "lpmsync_job_runs_total", {"job": "cycle", "status": "ok"}) == 1
    assert sample(ctx, "lpmsync_last_success_timestamp_seconds", {"job": "sync", "source": "fake"})


def test_a_failing_source_or_step_does_not_stop_the_others(store: SqlStore) -> None:
    recorder = Recorder()
    broken = FakeConnector("broken", pages_to_yield=1, error=FatalConnectorError("401"))
    ctx = context(
        store,
        recorder,
        connectors=[broken, FakeConnector()],
        check=recorder.step("check", error=RuntimeError("bug")),
    )
    result = run_cycle(ctx)
    assert (result.status, result.failed_steps) == ("failed", ("sync", "check"))
    assert recorder.calls == ["check", "send"]
    check = store.runs.latest("check")
    assert check is not None and (check.status, check.error) == (
        "failed",
        "unexpected RuntimeError",
    )
    assert store.runs.latest("sync", "broken").status == "failed"  # type: ignore[union-attr]
    assert store.runs.latest("sync", "fake").status == "ok"  # type: ignore[union-attr]


def test_a_partial_send_is_not_a_failure_but_is_not_a_success_either(store: SqlStore) -> None:
    recorder = Recorder()
    ctx = context(store, recorder, send=recorder.step("send", status="partial"))
    assert run_cycle(ctx).status == "ok"
    assert (
        sample(ctx, "lpmsync_last_success_timestamp_seconds", {"job": "send", "source": ""}) is None
    )


def test_a_stop_request_ends_the_cycle_after_the_current_page(store: SqlStore) -> None:
    recorder = Recorder()
    connector = FakeConnector(pages_to_yield=5)
    ctx = context(store, recorder, connectors=[connector])
    connector.on_page.append(ctx.stop.set)  # SIGTERM arrives while page 1 is fetched
    result = run_cycle(ctx)
    assert result.status == "interrupted" and recorder.calls == []
    assert [item.key for item in store.items.load()] == ["F-0"]
    assert store.items.cursor("fake") == {"page": "0"}
    assert store.runs.latest("sync", "fake").status == "interrupted"  # type: ignore[union-attr]
    assert run_cycle(ctx).status == "interrupted"  # a queued run does nothing after the stop


def test_a_cycle_held_by_another_process_is_skipped(store: SqlStore, tmp_path: Path) -> None:
    """Check and send are skipped; the sources are shared (each under its own lock), so this
    process still syncs the ones nobody else is syncing."""
    recorder = Recorder()
    ctx = context(store, recorder)
    other = FileLocks((tmp_path / "lpmsync.db").resolve())
    with other.job("cycle") as acquired:
        assert acquired
        result = run_cycle(ctx)
    assert result.status == "skipped" and recorder.calls == []
    assert [run.job for run in store.runs.latest_per_job()] == ["sync"]
    assert sample(ctx, "lpmsync_job_runs_total", {"job": "cycle", "status": "skipped"}) == 1
    assert run_cycle(ctx).status == "ok"  # released: the next run goes ahead


def test_the_digest_is_built_once_per_slot(store: SqlStore) -> None:
    recorder = Recorder()
    ctx = context(store, recorder)
    due = T0
    assert run_digest(ctx, due).status == "ok"
    assert recorder.calls == ["digest", "send"]
    again = run_digest(ctx, due)  # another replica, or a restart, for the same slot
    assert again.status == "done" and recorder.calls == ["digest", "send"]
    assert run_digest(ctx, due + timedelta(days=7)).status == "ok"
    assert recorder.calls.count("digest") == 2


def test_a_failed_digest_is_retried_at_the_next_run(store: SqlStore) -> None:
    recorder = Recorder()
    ctx = context(store, recorder, digest=recorder.step("digest", error=StoreError("db gone")))
    result = run_digest(ctx, T0)
    assert (result.status, result.failed_steps) == ("failed", ("digest",))
    digest = store.runs.latest("digest")
    assert digest is not None and digest.error == "db gone"
    ctx.digest = recorder.step("digest")
    assert run_digest(ctx, T0).status == "ok"


def test_a_digest_waiting_for_fresh_data_is_retried_after_each_cycle(store: SqlStore) -> None:
    recorder = Recorder()
    waiting = context(store, recorder, digest=recorder.step("digest", status="waiting"))
    assert run_digest(waiting).status == "ok"
    assert recorder.calls == ["digest", "send"]
    latest = store.runs.latest("digest")
    assert latest is not None and latest.status == "waiting"

    run_cycle(waiting)  # still waiting: tried again after the cycle
    assert recorder.calls == ["digest", "send", "check", "send", "digest", "send"]

    sent = context(store, recorder, digest=recorder.step("digest"), clock=waiting.clock)
    run_cycle(sent)  # it went out this time
    run_cycle(sent)  # nothing waits any more
    assert recorder.calls[6:] == ["check", "send", "digest", "send", "check", "send"]
