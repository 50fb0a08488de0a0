"""The health endpoints over real HTTP, on the board's app: /healthz, /readyz from stored runs
and a fake clock, /metrics from a registry of its own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from lpmsync.domain.model import UNMAPPED, SkippedItem
from lpmsync.domain.sync import SyncPage
from lpmsync.observability import Metrics, Readiness
from lpmsync.services.jobs_status import readiness, stale_after
from lpmsync.store import SqlStore
from lpmsync.web import Probes, WebServer, WebServerError, create_app
from tests.integration.notify_support import work_item

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
STALE = stale_after("*/15 * * * *", "Europe/Berlin", T0)  # 3 intervals: 45 minutes


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    status, _, body = get(url)
    return status, json.loads(body)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def serving(check: Callable[[], Readiness], metrics: Metrics | None = None) -> Iterator[WebServer]:
    app = create_app(Probes((metrics or Metrics()).registry, check))
    server = WebServer(app, "127.0.0.1", 0).start()
    try:
        yield server
    finally:
        server.stop()


def url(server: WebServer, path: str) -> str:
    return f"http://{server.host}:{server.port}{path}"


def record_sync(store: SqlStore, source: str, at: datetime, status: str, error: str = "") -> None:
    run_id = store.runs.start("sync", source, at)
    stats = {"skipped_count": 0, "unmapped_count": 0} if status == "ok" else {}
    store.runs.finish(run_id, at + timedelta(seconds=5), status, stats, error or None)


def test_healthz_metrics_and_unknown_paths() -> None:
    metrics = Metrics()
    metrics.observe_sync(
        "jira", status="ok", seconds=2.5, changes={"added": 7}, requests=3, unmapped=1
    )
    metrics.set_findings({"wip-breach": 2})
    with serving(lambda: Readiness(True), metrics) as server:
        assert get_json(url(server, "/healthz")) == (200, {"status": "alive"})
        status, content_type, body = get(url(server, "/metrics"))
        missing = get_json(url(server, "/nope"))
    assert status == 200 and content_type.startswith("text/plain")
    assert 'lpmsync_sync_items_total{change="added",source="jira"} 7.0' in body
    assert 'lpmsync_tracker_requests_total{source="jira",status="ok"} 3.0' in body
    assert 'lpmsync_findings{rule="wip-breach"} 2.0' in body
    assert "lpmsync_sync_duration_seconds_count" in body and "lpmsync_outbox_depth" in body
    assert "python_gc" not in body  # a registry of its own: no process-global collectors
    assert missing[0] == 404


def test_readyz_reports_a_failing_check_as_unready() -> None:
    def broken() -> Readiness:
        raise RuntimeError("boom")

    with serving(broken) as server:
        status, body = get_json(url(server, "/readyz"))
    assert status == 503 and body["reasons"] == ["readiness check failed: RuntimeError"]


def test_readyz_turns_unready_when_a_source_fails_past_its_interval(store: SqlStore) -> None:
    clock = Clock()
    hygiene = SyncPage(
        items=(work_item("U-1", state=UNMAPPED),),
        skipped=(SkippedItem("jira", "S-1", "no title"), SkippedItem("jira", "S-2", "bad date")),
    )
    store.items.apply_page("jira", hygiene, T0)
    record_sync(store, "jira", T0, "ok")
    record_sync(store, "ado", T0, "ok")
    started = T0 - timedelta(hours=1)
    with serving(lambda: readiness(store, ["jira", "ado"], clock(), STALE, started)) as server:
        clock.now = T0 + timedelta(minutes=15)
        record_sync(store, "jira", clock.now, "failed", "source 'jira': 401 Unauthorized")
        ready = get_json(url(server, "/readyz"))
        clock.now = T0 + timedelta(minutes=40)  # failing, but within 3 intervals
        still_ready = get_json(url(server, "/readyz"))
        clock.now = T0 + timedelta(minutes=50)
        record_sync(store, "ado", clock.now, "ok")
        unready = get_json(url(server, "/readyz"))
    assert ready[0] == 200 and ready[1]["status"] == "ready" and ready[1]["reasons"] == []
    assert still_ready[0] == 200
    status, body = unready
    assert status == 503 and body["status"] == "unready"
    assert body["reasons"] == [
        "source 'jira': last synced 49m ago (expected within 45m); "
        "last error: source 'jira': 401 Unauthorized"
    ]
    jira = next(source for source in body["sources"] if source["source"] == "jira")
    assert jira["fresh"] is False and jira["last_status"] == "failed"
    assert (jira["skipped_count"], jira["unmapped_count"]) == (2, 1)
    assert body["stale_after_seconds"] == 45 * 60


def test_a_new_service_gets_one_stale_period_to_sync_each_source(store: SqlStore) -> None:
    started = T0
    assert readiness(store, ["jira"], T0 + timedelta(minutes=44), STALE, started).ready
    late = readiness(store, ["jira"], T0 + timedelta(minutes=46), STALE, started)
    assert not late.ready
    assert late.reasons == ["source 'jira': never synced successfully (expected within 45m)"]
    assert readiness(store, [], T0 + timedelta(days=9), STALE, started).ready  # no sources


def test_an_unreachable_store_is_unready() -> None:
    nobody_listens = "postgresql+psycopg://lpmsync@127.0.0.1:1/lpmsync?connect_timeout=5"
    store = SqlStore(sa.create_engine(nobody_listens))
    result = readiness(store, ["jira"], T0, STALE, T0)
    store.close()
    assert result == Readiness(False, ["store unreachable (OperationalError)"])


def test_a_port_in_use_is_a_clear_error() -> None:
    with (
        serving(lambda: Readiness(True)) as server,
        pytest.raises(WebServerError, match=f"127.0.0.1:{server.port}.*health.port"),
    ):
        WebServer(
            create_app(Probes(Metrics().registry, lambda: Readiness(True))), *server_at(server)
        )


def server_at(server: WebServer) -> tuple[str, int]:
    return server.host, server.port
